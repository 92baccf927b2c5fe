import assert from 'node:assert/strict'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {ABSENT} from '../../../src/backend/backend.js'
import {RemoteTree} from '../../../src/backend/sftp/remote-tree.js'
import {SftpBackend} from '../../../src/backend/sftp/sftp-backend.js'
import {SftpCalls} from '../../../src/backend/sftp/sftp-calls.js'
import {SFTP_STATUS, SftpStatusError} from '../../../src/backend/sftp/sftp-errors.js'
import {SshConnections} from '../../../src/backend/sftp/ssh-connections.js'
import {openSshSession, type SshOptions, type SshSession} from '../../../src/backend/sftp/ssh-session.js'
import {uploadIntoPlace} from '../../../src/backend/sftp/upload-into-place.js'
import {isTreesyncError} from '../../../src/errors.js'
import {sshServerForSuite, startSshServer, type SshServer} from '../../helpers/sshd-server.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {CONTRACT_MTIME_MS, MemorySource} from '../memory-source.js'

const server = sshServerForSuite()

function optionsFor(s: SshServer, more: SshOptions = {}): SshOptions {
  return {sshKey: s.clientKey, knownHosts: s.knownHosts, agent: false, ...more}
}

async function sessionOn(t: TestContext, s: SshServer, more: SshOptions = {}): Promise<SshSession> {
  const session = await openSshSession({host: s.host, port: s.port, user: s.user}, optionsFor(s, more))
  t.after(() => session.close())
  return session
}

/** The promise's outcome, or 'pending' if it has not settled within `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<{value: T} | {error: unknown} | 'pending'> {
  let timer: NodeJS.Timeout | undefined
  const pending = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)))
  try {
    return await Promise.race([promise.then((value) => ({value}), (error: unknown) => ({error})), pending])
  } finally {
    clearTimeout(timer)
  }
}

test('a server that stops answering: a pending list fails "connection lost" after the keepalives, and close() returns', async (t) => {
  // A server of its own: freezing it must not stall the other tests' connections.
  const s = await startSshServer()
  t.after(async () => {
    await s.thaw()
    await s.stop()
  })
  const root = await tempDir(t, 'treesync-frozen-')
  await writeFile(join(root, 'a'), 'a')
  // Keepalives every 200 ms, 3 unanswered: given up after about 0.8 s.
  const probed = await sessionOn(t, s, {keepaliveIntervalMs: 200, keepaliveCountMax: 3})
  // The default keepalive (15 s): close() alone must not hang on it.
  const idle = await sessionOn(t, s)
  const backend = new SftpBackend(probed, root, s.url(root))
  assert.deepEqual((await backend.list('')).map((e) => e.name), ['a'])

  await s.freeze()
  const started = performance.now()
  const outcome = await within(5000, backend.list(''))
  assert.notEqual(outcome, 'pending', 'the list was still pending 5 s after the server froze')
  assert.ok(typeof outcome === 'object' && 'error' in outcome, 'the list failed')
  const error = outcome.error
  assert.ok(isTreesyncError(error), `not a TreesyncError: ${String(error)}`)
  assert.equal(error.code, 'ROOT_UNREACHABLE')
  assert.match(error.message, /connection to .* lost/)
  assert.ok(!error.message.includes('\n'), error.message)
  t.diagnostic(`list failed after ${(performance.now() - started).toFixed(0)} ms`)
  assert.ok((await probed.ended) instanceof Error, 'the session ended with the keepalive timeout')

  const closing = performance.now()
  assert.notEqual(await within(3000, idle.close()), 'pending', 'close() of a session on a frozen server returns within 3 s')
  t.diagnostic(`close() took ${(performance.now() - closing).toFixed(0)} ms`)
})

test('callers that find the same ended session share one new connection, and closeAll closes it', async () => {
  const s = server()
  const pool = new SshConnections(optionsFor(s))
  const spec = {host: s.host, port: s.port, user: s.user}
  const first = await pool.session(spec)
  await first.close()
  // The pool learns of the end from `ended`: let its watcher run.
  await sleep(10)
  const loginsBefore = s.logins()
  const [a, b] = await Promise.all([pool.session(spec), pool.session(spec)])
  assert.equal(a, b, 'both callers got the same session')
  assert.notEqual(a, first)
  // sshd logs the login a moment after the client sees it.
  for (let i = 0; i < 50 && s.logins() === loginsBefore; i++) await sleep(20)
  await sleep(100)
  assert.equal(s.logins(), loginsBefore + 1, 'one new connection, not two')
  await pool.closeAll()
  assert.notEqual(await within(3000, a.ended), 'pending', 'the shared session was closed')
  const connections = await s.connectionPids()
  for (let i = 0; i < 50 && (await s.connectionPids()).length > 0; i++) await sleep(20)
  assert.deepEqual(await s.connectionPids(), [], `no connection left open on the server (had ${connections.length} just after closeAll)`)
})

test('the SFTP channel closing while the connection stays (sftp-server killed) ends the session; the pool reconnects', async (t) => {
  const s = await startSshServer({externalSftpServer: true})
  t.after(() => s.stop())
  const root = await tempDir(t, 'treesync-sftp-crash-')
  await writeFile(join(root, 'a'), 'a')
  const pool = new SshConnections(optionsFor(s))
  t.after(() => pool.closeAll())
  const spec = {host: s.host, port: s.port, user: s.user}
  const first = await pool.session(spec)
  assert.deepEqual((await new SftpBackend(first, root, s.url(root)).list('')).map((e) => e.name), ['a'])

  const sftpServers: number[] = []
  for (const pid of await s.connectionPids()) {
    const name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim()
    if (name === 'sftp-server') sftpServers.push(pid)
  }
  assert.equal(sftpServers.length, 1, 'one sftp-server process serves the session')
  process.kill(sftpServers[0], 'SIGKILL')

  assert.notEqual(await within(5000, first.ended), 'pending', 'the session ended once its SFTP channel closed')
  await sleep(10)
  const second = await pool.session(spec)
  assert.notEqual(second, first, 'the pool opened a new session')
  assert.deepEqual((await new SftpBackend(second, root, s.url(root)).list('')).map((e) => e.name), ['a'])
})

test('an upload whose close fails is not renamed into place, and its temporary is removed', async (t) => {
  const s = server()
  const root = await tempDir(t, 'treesync-close-fails-')
  const session = await sessionOn(t, s)
  const real = SftpCalls.forSession(session)
  // A close that fails after closing, as one reporting a delayed write error (NFS, quota) does.
  const calls = Object.create(real) as SftpCalls
  calls.close = async (handle, path) => {
    await real.close(handle, path)
    throw new SftpStatusError(SFTP_STATUS.FAILURE, `the server refused (SFTP failure): ${path}`, path, `SFTP_${SFTP_STATUS.FAILURE}`)
  }
  const tree = new RemoteTree(calls, root, s.url(root))
  const source = new MemorySource()
  const data = Buffer.from('bytes that did not all reach the disk')
  source.put('f', data)
  await assert.rejects(
    uploadIntoPlace('f', {backend: source, path: 'f', expected: {size: data.length, mtimeMs: CONTRACT_MTIME_MS}}, {size: data.length, mtimeMs: CONTRACT_MTIME_MS}, ABSENT, {
      tree,
      calls,
      posixRename: session.extensions.posixRename,
      fsync: false,
    }),
    (error: Error) => error instanceof SftpStatusError && error.status === SFTP_STATUS.FAILURE,
  )
  assert.deepEqual(await readdir(root), [], 'nothing published, the temporary removed')
})

test('a session names the server it reached and the fingerprint of the host key it presented', async (t) => {
  const s = server()
  const session = await sessionOn(t, s)
  assert.equal(session.server, `127.0.0.1:${s.port}`)
  assert.equal(session.hostKeyFingerprint, s.hostKey.fingerprint)
  assert.equal(session.label, `${s.user}@127.0.0.1:${s.port}`, 'the label is unchanged')
})
