import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {promisify} from 'node:util'

import {refuseHostKey, type HostKeyContext} from '../../../src/backend/sftp/host-key-check.js'
import {
  checkHostKey,
  hashedNameMatches,
  hostFieldMatches,
  hostKeyAlgorithmsFor,
  hostKeyFingerprint,
  keyTypeOfBlob,
  knownHostsName,
  loadKnownHosts,
  parseKnownHosts,
  wildcardMatches,
} from '../../../src/backend/sftp/known-hosts.js'
import {generateKey} from '../../helpers/sshd-server.js'
import {tempDir} from '../../helpers/temp-dir.js'

const run = promisify(execFile)

/** A fresh ed25519 public line (`ssh-ed25519 AAAA…`) and its blob. */
async function publicKey(dir: string, name: string): Promise<{line: string; blob: Buffer}> {
  const file = await generateKey(join(dir, name))
  const line = (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  return {line, blob: Buffer.from(line.split(' ')[1], 'base64')}
}

test('knownHostsName brackets the host only on ports other than 22', () => {
  assert.equal(knownHostsName('nas.example', 22), 'nas.example')
  assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222')
})

test('wildcards: * any run, ? one character, case-insensitive, anchored', () => {
  assert.ok(wildcardMatches('*.example.com', 'nas.example.com'))
  assert.ok(wildcardMatches('nas?', 'NAS1'))
  assert.ok(!wildcardMatches('nas?', 'nas12'))
  assert.ok(!wildcardMatches('nas', 'nas.example.com'))
  assert.ok(wildcardMatches('[127.0.0.1]:*', '[127.0.0.1]:2222'), 'brackets are literal, not a character class')
  assert.ok(!wildcardMatches('10.0.0.1', '10a0b0c1'), 'dots are literal')
})

test('comma lists match any pattern; a matching negation rules the line out', () => {
  assert.ok(hostFieldMatches('alpha,beta,[127.0.0.1]:2222', 'beta'))
  assert.ok(hostFieldMatches('alpha,beta,[127.0.0.1]:2222', '[127.0.0.1]:2222'))
  assert.ok(!hostFieldMatches('alpha,beta', '127.0.0.1'))
  assert.ok(hostFieldMatches('*.lan,!secret.lan', 'nas.lan'))
  assert.ok(!hostFieldMatches('*.lan,!secret.lan', 'secret.lan'))
  assert.ok(!hostFieldMatches('!secret.lan', 'other.lan'), 'a negation alone matches nothing')
})

test('hashed names match what ssh-keygen -H wrote, and nothing else', async (t) => {
  const dir = await tempDir(t)
  const key = await publicKey(dir, 'host')
  const file = join(dir, 'known_hosts')
  await writeFile(file, `[127.0.0.1]:2222 ${key.line}\nnas.example ${key.line}\n`)
  await run('ssh-keygen', ['-q', '-H', '-f', file])
  const entries = parseKnownHosts(await readFile(file, 'utf8'), file)
  assert.equal(entries.length, 2)
  assert.match(entries[0].hosts, /^\|1\|/)
  assert.ok(hashedNameMatches(entries[0].hosts, '[127.0.0.1]:2222'))
  assert.ok(!hashedNameMatches(entries[0].hosts, '[127.0.0.1]:2223'))
  assert.ok(hostFieldMatches(entries[1].hosts, 'NAS.example'), 'hashed names are compared lower-cased')
  assert.equal(checkHostKey(entries, '[127.0.0.1]:2222', key.blob).kind, 'trusted')
  assert.ok(!hashedNameMatches('|1|garbage', 'x'))
})

test('parsing: markers, comments, blank and malformed lines, line numbers, key type from the blob', async (t) => {
  const dir = await tempDir(t)
  const key = await publicKey(dir, 'k')
  const text = ['# a comment', '', `host1 ${key.line} comment words`, '@revoked * ' + key.line, '@cert-authority *.lan ' + key.line, '@bogus x ' + key.line, 'short line', 'host2 ssh-ed25519 !!notbase64!!'].join('\n')
  const entries = parseKnownHosts(text, 'kh')
  assert.deepEqual(
    entries.map((e) => [e.line, e.marker, e.hosts, e.keyType]),
    [
      [3, undefined, 'host1', 'ssh-ed25519'],
      [4, 'revoked', '*', 'ssh-ed25519'],
      [5, 'cert-authority', '*.lan', 'ssh-ed25519'],
    ],
  )
  assert.equal(keyTypeOfBlob(Buffer.from('nonsense')), undefined)
})

test('checkHostKey: trusted, changed (same type, other key), unknown, revoked wins over trusted', async (t) => {
  const dir = await tempDir(t)
  const [a, b] = [await publicKey(dir, 'a'), await publicKey(dir, 'b')]
  const entries = parseKnownHosts([`nas ${a.line}`, `other ${b.line}`, `@revoked revokedhost ${b.line}`, `revokedhost ${b.line}`].join('\n'), 'kh')
  assert.equal(checkHostKey(entries, 'nas', a.blob).kind, 'trusted')
  const changed = checkHostKey(entries, 'nas', b.blob)
  assert.equal(changed.kind, 'changed')
  assert.equal(changed.kind === 'changed' && changed.entry.line, 1)
  assert.equal(checkHostKey(entries, 'stranger', a.blob).kind, 'unknown')
  assert.equal(checkHostKey(entries, 'revokedhost', b.blob).kind, 'revoked')
})

test('a key of another type known for the host, or only a @cert-authority line, is unknown and says so', async (t) => {
  const dir = await tempDir(t)
  const ed = await publicKey(dir, 'ed')
  const ecdsaFile = join(dir, 'ec')
  await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', ecdsaFile])
  const ecdsaLine = (await readFile(`${ecdsaFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  const file = join(dir, 'known_hosts')
  await writeFile(file, `[nas]:2222 ${ecdsaLine}\n@cert-authority *.lan ${ed.line}\n`)
  const entries = await loadKnownHosts([file, join(dir, 'missing')])
  const context: HostKeyContext = {hostName: 'nas', port: 2222, alias: 'nas', knownHostsFiles: [file], knownHostsShown: ['~/.ssh/known_hosts']}
  const message = refuseHostKey(entries, context, ed.blob)!
  assert.match(message, /^host key of nas:2222 is not known \(ssh-ed25519 SHA256:/)
  assert.match(message, /~\/\.ssh\/known_hosts line 1 has its ecdsa-sha2-nistp256 key, which the server did not offer/)
  // The fingerprint is checked before anything is appended: ssh-keyscan trusts whatever answers.
  assert.match(message, /check that fingerprint with the server's owner or console, then add the key to ~\/\.ssh\/known_hosts \(ssh-keyscan -p 2222 nas \| ssh-keygen -lf - must show the same; then ssh-keyscan -p 2222 nas >> ~\/\.ssh\/known_hosts\)/)
  assert.ok(!message.includes('\n'), 'one line')
  const caOnly = refuseHostKey(entries, {...context, hostName: 'box.lan', alias: 'box.lan', port: 22}, ed.blob)!
  assert.match(caOnly, /only a @cert-authority line \(~\/\.ssh\/known_hosts line 2\) names it, and treesync does not check host certificates/)
  assert.match(caOnly, /\(ssh-keyscan box\.lan \| ssh-keygen -lf - must show the same; then ssh-keyscan box\.lan >> /, 'no -p on port 22')
  assert.deepEqual(hostKeyAlgorithmsFor(entries, '[nas]:2222')?.slice(0, 2), ['ecdsa-sha2-nistp256', 'ssh-ed25519'], 'the known type is asked for first')
  assert.equal(hostKeyAlgorithmsFor(entries, 'stranger'), undefined)
})

test('fingerprints are what ssh-keygen -l prints', async (t) => {
  const dir = await tempDir(t)
  const file = await generateKey(join(dir, 'k'))
  const line = (await readFile(`${file}.pub`, 'utf8')).trim()
  const expected = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])).stdout.split(/\s+/)[1]
  assert.equal(hostKeyFingerprint(Buffer.from(line.split(/\s+/)[1], 'base64')), expected)
})
