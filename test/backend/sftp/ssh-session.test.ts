import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {copyFile, mkdir, readFile, writeFile} from 'node:fs/promises'
import {createServer, type Socket} from 'node:net'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'

import {openSshSession, type SshOptions, type SshTarget} from '../../../src/backend/sftp/ssh-session.js'
import {isTreesyncError} from '../../../src/errors.js'
import {generateKey, sshServerForSuite, startSshServer, type SshServer} from '../../helpers/sshd-server.js'
import {tempDir} from '../../helpers/temp-dir.js'

const run = promisify(execFile)
const server = sshServerForSuite()

/** A scratch home with an empty ~/.ssh: the real ~/.ssh of the user running the tests is never read or written. */
async function emptyHome(t: TestContext): Promise<string> {
  const home = await tempDir(t, 'treesync-home-')
  await mkdir(join(home, '.ssh'), {mode: 0o700})
  return home
}

function targetOf(s: SshServer): SshTarget {
  return {host: '127.0.0.1', port: s.port, user: s.user}
}

/** Opens a session, lists `/`, closes it: the whole path a backend takes. */
async function connectsAndLists(target: SshTarget, options: SshOptions): Promise<string> {
  const session = await openSshSession(target, {agent: false, ...options})
  try {
    const names = await new Promise<string[]>((resolve, reject) => session.sftp.readdir('/', (error, list) => (error ? reject(error) : resolve(list.map((entry) => entry.filename)))))
    assert.ok(names.length > 0)
    assert.ok(session.extensions.posixRename, 'OpenSSH offers posix-rename')
    return session.label
  } finally {
    await session.close()
    await session.close()
  }
}

/** A TCP server on 127.0.0.1 that is not sshd; its connections are cut when the test ends. */
async function fakeServer(t: TestContext, onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>()
  const fake = createServer((socket) => {
    sockets.add(socket)
    onConnection(socket)
  })
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    fake.close()
  })
  return (fake.address() as {port: number}).port
}

/** Expects a one-line ROOT_UNREACHABLE error matching `pattern`; returns its message. */
async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await promise
  } catch (error) {
    assert.ok(isTreesyncError(error), `not a TreesyncError: ${String(error)}`)
    assert.equal(error.code, 'ROOT_UNREACHABLE')
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`)
    assert.match(error.message, pattern)
    return error.message
  }
  assert.fail(`expected a refusal matching ${pattern}`)
}

test('logs in with --ssh-key, checked against --known-hosts, and reports the SFTP extensions', async (t) => {
  const s = server()
  const label = await connectsAndLists(targetOf(s), {sshKey: s.clientKey, knownHosts: s.knownHosts, home: await emptyHome(t)})
  assert.equal(label, `${s.user}@127.0.0.1:${s.port}`)
})

test('logs in with a default key, ~/.ssh/id_ed25519, checked against ~/.ssh/known_hosts', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  await copyFile(s.clientKey, join(home, '.ssh', 'id_ed25519'))
  await copyFile(s.knownHosts, join(home, '.ssh', 'known_hosts'))
  await connectsAndLists(targetOf(s), {home})
})

test('logs in through the ssh agent, with no key anywhere in the home', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  const socket = join(home, 'agent.sock')
  const agent = spawn('ssh-agent', ['-D', '-a', socket], {stdio: 'ignore'})
  t.after(() => void agent.kill())
  for (let tries = 0; tries < 100 && !(await readFile(socket).then(() => true, (e: NodeJS.ErrnoException) => e.code !== 'ENOENT')); tries++) await sleep(20)
  await run('ssh-add', [s.clientKey], {env: {...process.env, SSH_AUTH_SOCK: socket}})
  await connectsAndLists(targetOf(s), {home, knownHosts: s.knownHosts, agent: socket})
})

test('~/.ssh/config: a Host alias gives HostName, User, Port and IdentityFile; known_hosts names the real host', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  await copyFile(s.clientKey, join(home, '.ssh', 'nas_key'))
  await copyFile(s.knownHosts, join(home, '.ssh', 'known_hosts'))
  await writeFile(join(home, '.ssh', 'config'), ['Host nas', '  HostName 127.0.0.1', `  User ${s.user}`, `  Port ${s.port}`, '  IdentityFile ~/.ssh/%n_key', '', 'Host *', '  User nobody-here', ''].join('\n'))
  const label = await connectsAndLists({host: 'nas'}, {home})
  assert.equal(label, `${s.user}@nas:${s.port}`)
})

test('a hashed known_hosts entry (ssh-keygen -H) is honoured', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  const knownHosts = join(home, 'hashed_known_hosts')
  await copyFile(s.knownHosts, knownHosts)
  await run('ssh-keygen', ['-q', '-H', '-f', knownHosts])
  assert.match(await readFile(knownHosts, 'utf8'), /^\|1\|/)
  await connectsAndLists(targetOf(s), {home, sshKey: s.clientKey, knownHosts})
})

test('an unknown host key is refused with its fingerprint and how to add it', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  const message = await refused(openSshSession(targetOf(s), {home, sshKey: s.clientKey, agent: false}), /^host key of 127\.0\.0\.1:\d+ is not known \(ssh-ed25519 SHA256:/)
  assert.ok(message.includes(s.hostKey.fingerprint), message)
  assert.ok(message.includes(`ssh-keyscan -p ${s.port} 127.0.0.1 | ssh-keygen -lf - must show the same; then ssh-keyscan -p ${s.port} 127.0.0.1 >> ~/.ssh/known_hosts`), message)
  await assert.rejects(readFile(join(home, '.ssh', 'known_hosts')), 'nothing was added to known_hosts')
})

test('a changed host key is refused, naming the known_hosts line', async (t) => {
  const s = server()
  const other = await startSshServer()
  t.after(() => other.stop())
  const home = await emptyHome(t)
  const knownHosts = join(home, 'known_hosts')
  // The second server answers on its port with another key than the one known for that port.
  await writeFile(knownHosts, `# first line\n[127.0.0.1]:${other.port} ${s.hostKey.publicLine}\n`)
  const message = await refused(openSshSession(targetOf(other), {home, sshKey: other.clientKey, knownHosts, agent: false}), /^host key of 127\.0\.0\.1:\d+ has CHANGED \(now ssh-ed25519 SHA256:/)
  assert.ok(message.includes(other.hostKey.fingerprint), message)
  assert.ok(message.includes(`~/known_hosts line 2 has another`), message)
})

test('a revoked host key is refused even when another line trusts it', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  const knownHosts = join(home, 'known_hosts')
  await writeFile(knownHosts, `[127.0.0.1]:${s.port} ${s.hostKey.publicLine}\n@revoked * ${s.hostKey.publicLine}\n`)
  const message = await refused(openSshSession(targetOf(s), {home, sshKey: s.clientKey, knownHosts, agent: false}), /^host key of 127\.0\.0\.1:\d+ is REVOKED/)
  assert.ok(message.includes(s.hostKey.fingerprint), message)
})

test('a wrong key: authentication failed, naming every key tried', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  await generateKey(join(home, 'wrong_key'))
  await generateKey(join(home, '.ssh', 'id_ed25519'))
  const message = await refused(openSshSession(targetOf(s), {home, sshKey: join(home, 'wrong_key'), knownHosts: s.knownHosts, agent: false}), /^authentication failed for \S+@127\.0\.0\.1:\d+ \(tried: /)
  assert.ok(message.includes(`tried: the key ~/wrong_key, ~/.ssh/id_ed25519)`), message)
})

test('a key with a passphrase is skipped, with a note suggesting ssh-add', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(home, '.ssh', 'id_ed25519')])
  const message = await refused(openSshSession(targetOf(s), {home, knownHosts: s.knownHosts, agent: false}), /^authentication failed for \S+@127\.0\.0\.1:\d+ \(no usable key: looked for --ssh-key, the ssh agent \(SSH_AUTH_SOCK\), IdentityFile in ~\/\.ssh\/config, ~\/\.ssh\/id_ed25519, id_ecdsa, id_rsa\); /)
  assert.ok(message.includes('~/.ssh/id_ed25519 has a passphrase, which treesync cannot ask for (add it to the agent: ssh-add ~/.ssh/id_ed25519)'), message)
})

test('a --ssh-key that is missing or not a key is refused before connecting', async (t) => {
  const home = await emptyHome(t)
  const target = {host: '127.0.0.1', port: 1, user: 'u'}
  await refused(openSshSession(target, {home, sshKey: join(home, 'nope'), agent: false}), /^--ssh-key \S+nope: no such file \(for u@127\.0\.0\.1:1\)$/)
  await writeFile(join(home, 'notakey'), 'hello\n')
  await refused(openSshSession(target, {home, sshKey: join(home, 'notakey'), agent: false}), /^--ssh-key \S+notakey: not a private key \(for u@127\.0\.0\.1:1\)$/)
})

test('a server that is down: connection refused', async (t) => {
  const s = await startSshServer()
  t.after(() => s.stop())
  await s.kill()
  await refused(openSshSession(targetOf(s), {home: await emptyHome(t), sshKey: s.clientKey, knownHosts: s.knownHosts, agent: false}), /^cannot connect to \S+@127\.0\.0\.1:\d+: connection refused$/)
})

test('a host name that does not resolve', async (t) => {
  // Where no resolver answers, the lookup outlasts the timeout instead: either way, one line naming the host.
  await refused(
    openSshSession({host: 'nas.invalid'}, {home: await emptyHome(t), agent: false, timeoutMs: 3000}),
    /^(cannot resolve host nas\.invalid|cannot connect to .*nas\.invalid:22: no SSH handshake within 3 s)$/,
  )
})

test('a server that never speaks SSH: timeout as one line', async (t) => {
  const port = await fakeServer(t, () => undefined)
  const home = await emptyHome(t)
  await refused(openSshSession({host: '127.0.0.1', port, user: 'u'}, {home, agent: false, timeoutMs: 300}), /^cannot connect to u@127\.0\.0\.1:\d+: no SSH handshake within 0\.3 s$/)
})

test('a server that hangs up during or before the handshake', async (t) => {
  const home = await emptyHome(t)
  const rude = await fakeServer(t, (socket) => socket.end('SSH-2.0-rude\r\n'))
  await refused(openSshSession({host: '127.0.0.1', port: rude, user: 'u'}, {home, agent: false}), /^connection to u@127\.0\.0\.1:\d+ closed during the SSH handshake/)
  const mute = await fakeServer(t, (socket) => socket.destroy())
  await refused(openSshSession({host: '127.0.0.1', port: mute, user: 'u'}, {home, agent: false}), /^connection to u@127\.0\.0\.1:\d+ closed before the SSH handshake \(is it an SSH server\?\)$/)
})

test('an unparsable ~/.ssh/config is one line naming the file and the host', async (t) => {
  const home = await emptyHome(t)
  await writeFile(join(home, '.ssh', 'config'), 'Host nas\n  HostName "unterminated\n')
  await refused(openSshSession({host: 'nas'}, {home, agent: false}), /^cannot parse \S+\/\.ssh\/config \(looking up host nas\): /)
  const other = await emptyHome(t)
  await mkdir(join(other, '.ssh', 'config'))
  await refused(openSshSession({host: 'nas'}, {home: other, agent: false}), /^cannot read \S+\/\.ssh\/config \(looking up host nas\): is a directory$/)
})

test('a host known by its ecdsa key is asked for that key, though the server prefers ed25519', async (t) => {
  const home = await emptyHome(t)
  const ecdsaKey = join(home, 'host_ecdsa')
  await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', ecdsaKey])
  const both = await startSshServer({extraHostKeyFiles: [ecdsaKey]})
  t.after(() => both.stop())
  const ecdsaLine = (await readFile(`${ecdsaKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  const knownHosts = join(home, 'known_hosts')
  await writeFile(knownHosts, `[127.0.0.1]:${both.port} ${ecdsaLine}\n`)
  await connectsAndLists(targetOf(both), {home, sshKey: both.clientKey, knownHosts})
  // Without the preference the server's ed25519 key would come first and be "unknown".
  await writeFile(knownHosts, `[127.0.0.1]:${both.port} ${both.hostKey.publicLine}\n`)
  await connectsAndLists(targetOf(both), {home, sshKey: both.clientKey, knownHosts})
})

test('an agent that cannot be reached is noted, and the keys after it are still tried', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  await copyFile(s.clientKey, join(home, '.ssh', 'id_ed25519'))
  await connectsAndLists(targetOf(s), {home, knownHosts: s.knownHosts, agent: join(home, 'no-such-agent.sock')})
  await generateKey(join(home, 'wrong'))
  await copyFile(join(home, 'wrong'), join(home, '.ssh', 'id_ed25519'))
  const message = await refused(
    openSshSession(targetOf(s), {home, knownHosts: s.knownHosts, agent: join(home, 'no-such-agent.sock')}),
    /^authentication failed for \S+ \(tried: the ssh agent, ~\/\.ssh\/id_ed25519\); the ssh agent failed \(/,
  )
  assert.ok(!message.includes('\n'))
})

test('a --known-hosts file that does not exist is refused before connecting', async (t) => {
  const home = await emptyHome(t)
  await refused(openSshSession({host: '127.0.0.1', port: 1, user: 'u'}, {home, knownHosts: join(home, 'nope'), agent: false}), /^--known-hosts \S+nope: no such file \(for u@127\.0\.0\.1:1\)$/)
})

test('through a config alias, a refusal names the alias and the real address', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  await writeFile(join(home, '.ssh', 'config'), ['Host nas', '  HostName 127.0.0.1', `  Port ${s.port}`, ''].join('\n'))
  const message = await refused(openSshSession({host: 'nas'}, {home, sshKey: s.clientKey, agent: false}), /^host key of nas \(127\.0\.0\.1:\d+\) is not known/)
  assert.ok(message.includes(s.hostKey.fingerprint), message)
})

test('ended settles when the server dies mid-session; close stays safe', async (t) => {
  const s = await startSshServer()
  t.after(() => s.stop())
  const session = await openSshSession(targetOf(s), {home: await emptyHome(t), sshKey: s.clientKey, knownHosts: s.knownHosts, agent: false})
  await s.kill()
  await session.ended
  await session.close()
})

test('a host without the SFTP subsystem: logged in, but one line saying SFTP could not start', async (t) => {
  const shellOnly = await startSshServer({noSftpSubsystem: true})
  t.after(() => shellOnly.stop())
  await refused(openSshSession(targetOf(shellOnly), {home: await emptyHome(t), sshKey: shellOnly.clientKey, knownHosts: shellOnly.knownHosts, agent: false}), /^cannot start SFTP on \S+@127\.0\.0\.1:\d+: /)
})

test('a server that stops at MaxAuthTries: authentication failed, with the keys tried and its reason', async (t) => {
  const s = server()
  const home = await emptyHome(t)
  const config = ['Host *']
  for (let i = 0; i < 7; i++) {
    await generateKey(join(home, '.ssh', `k${i}`))
    config.push(`  IdentityFile ~/.ssh/k${i}`)
  }
  await writeFile(join(home, '.ssh', 'config'), config.join('\n') + '\n')
  await refused(
    openSshSession(targetOf(s), {home, knownHosts: s.knownHosts, agent: false}),
    /^authentication failed for \S+@127\.0\.0\.1:\d+ \(tried: ~\/\.ssh\/k0, .*\); the server disconnected: Too many authentication failures$/,
  )
})
