import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {copyFile, mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'
import {promisify} from 'node:util'

import {describeAuthFailure, planAuthentication, tildePath} from '../../../src/backend/sftp/ssh-auth.js'
import {expandSshPath, localUserName, lookUpSshHost} from '../../../src/backend/sftp/ssh-config-lookup.js'
import {isTreesyncError} from '../../../src/errors.js'
import {generateKey} from '../../helpers/sshd-server.js'
import {tempDir} from '../../helpers/temp-dir.js'

const run = promisify(execFile)

async function homeWithConfig(t: TestContext, lines: string[]): Promise<string> {
  const home = await tempDir(t, 'treesync-home-')
  await mkdir(join(home, '.ssh'))
  await writeFile(join(home, '.ssh', 'config'), lines.join('\n') + '\n')
  return home
}

const NAS_CONFIG = [
  'Host nas',
  '  hostname 10.1.2.3',
  '  User alice',
  '  Port 2222',
  '  IdentityFile ~/.ssh/nas_%r_%p',
  '  IdentityFile "%d/keys/%h key"',
  '  UserKnownHostsFile ~/.ssh/known_hosts_nas',
  '',
  'Host *',
  '  User fallback',
  '  IdentityFile ~/.ssh/everywhere',
]

test('a Host alias gives HostName, User, Port, IdentityFiles (tokens and ~ expanded) and UserKnownHostsFile', async (t) => {
  const home = await homeWithConfig(t, NAS_CONFIG)
  const settings = await lookUpSshHost({host: 'nas'}, home)
  assert.deepEqual(settings, {
    alias: 'nas',
    hostName: '10.1.2.3',
    port: 2222,
    user: 'alice',
    identityFiles: [join(home, '.ssh/nas_alice_2222'), join(home, 'keys/10.1.2.3 key'), join(home, '.ssh/everywhere')],
    userKnownHostsFiles: [join(home, '.ssh/known_hosts_nas')],
    identitiesOnly: false,
  })
})

test('user and port named in the root beat the config; tokens follow them', async (t) => {
  const home = await homeWithConfig(t, NAS_CONFIG)
  const settings = await lookUpSshHost({host: 'nas', user: 'bob', port: 2200}, home)
  assert.equal(settings.user, 'bob')
  assert.equal(settings.port, 2200)
  assert.equal(settings.identityFiles[0], join(home, '.ssh/nas_bob_2200'))
})

test('a host the config does not name: the host itself, port 22, Host * settings, else the local login', async (t) => {
  const home = await homeWithConfig(t, NAS_CONFIG)
  const other = await lookUpSshHost({host: 'box.lan'}, home)
  assert.equal(other.hostName, 'box.lan')
  assert.equal(other.port, 22)
  assert.equal(other.user, 'fallback')
  const bare = await lookUpSshHost({host: 'box.lan'}, await tempDir(t))
  assert.deepEqual(bare, {alias: 'box.lan', hostName: 'box.lan', port: 22, user: localUserName(), identityFiles: [], userKnownHostsFiles: [], identitiesOnly: false})
})

test('IdentitiesOnly, and a Port that is not a port', async (t) => {
  const home = await homeWithConfig(t, ['Host strict', '  IdentitiesOnly yes', 'Host badport', '  Port twenty-two'])
  assert.equal((await lookUpSshHost({host: 'strict'}, home)).identitiesOnly, true)
  await assert.rejects(lookUpSshHost({host: 'badport'}, home), (error) => isTreesyncError(error) && error.code === 'ROOT_UNREACHABLE' && /^~\/\.ssh\/config gives host badport the port "twenty-two", which is not a port number$/.test(error.message))
})

test('expandSshPath: ~, %%, unknown tokens kept', () => {
  const tokens = {home: '/h', hostName: 'real', alias: 'nick', port: 22, user: 'r'}
  assert.equal(expandSshPath('~/.ssh/%n-%h-%p-%r-100%%-%Z', tokens), '/h/.ssh/nick-real-22-r-100%-%Z')
  assert.equal(expandSshPath('%d/x/%u', tokens), `/h/x/${localUserName()}`)
  assert.equal(expandSshPath('/abs/~/x', tokens), '/abs/~/x')
})

test('planAuthentication: --ssh-key first, then the agent, IdentityFiles, default keys; duplicates once; notes for keys it cannot use', async (t) => {
  const home = await tempDir(t, 'treesync-home-')
  await mkdir(join(home, '.ssh'))
  const explicit = await generateKey(join(home, 'explicit'))
  await generateKey(join(home, '.ssh', 'from_config'))
  await copyFile(join(home, '.ssh', 'from_config'), join(home, '.ssh', 'id_ed25519'))
  await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', 'pw', '-f', join(home, '.ssh', 'id_ecdsa')])
  await writeFile(join(home, '.ssh', 'id_rsa'), 'not a key\n')
  const plan = await planAuthentication({
    sshKey: explicit,
    agentSocket: '/run/agent.sock',
    identityFiles: [join(home, '.ssh', 'from_config'), join(home, '.ssh', 'missing'), join(home, '.ssh', 'id_ed25519')],
    home,
    label: 'u@h:22',
  })
  assert.deepEqual(
    plan.credentials.map((c) => c.description),
    ['the key ~/explicit', 'the ssh agent', '~/.ssh/from_config', '~/.ssh/id_ed25519'],
  )
  assert.deepEqual(plan.notes, ['~/.ssh/id_ecdsa has a passphrase, which treesync cannot ask for (add it to the agent: ssh-add ~/.ssh/id_ecdsa)', '~/.ssh/id_rsa is not a private key'])
  const strict = await planAuthentication({agentSocket: '/run/agent.sock', identityFiles: [join(home, '.ssh', 'from_config')], identitiesOnly: true, home, label: 'u@h:22'})
  assert.deepEqual(strict.credentials.map((c) => c.description), ['~/.ssh/from_config'])
})

test('describeAuthFailure: what was tried, the notes, and what the server wants instead', () => {
  const plan = {credentials: [], notes: ['~/.ssh/id_rsa has a passphrase']}
  assert.equal(describeAuthFailure('u@h:22', plan, {tried: ['the ssh agent']}), 'authentication failed for u@h:22 (tried: the ssh agent); ~/.ssh/id_rsa has a passphrase')
  assert.equal(
    describeAuthFailure('u@h:22', {credentials: [], notes: []}, {tried: ['~/.ssh/id_ed25519'], serverMethods: ['password', 'keyboard-interactive']}),
    'authentication failed for u@h:22 (tried: ~/.ssh/id_ed25519); the server accepts only password, keyboard-interactive, not keys',
  )
  assert.equal(tildePath('/home/u/.ssh/k', '/home/u'), '~/.ssh/k')
  assert.equal(tildePath('/home/uu/k', '/home/u'), '/home/uu/k')
})
