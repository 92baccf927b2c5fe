import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'
import {promisify} from 'node:util'

import {ABSENT} from '../../../src/backend/backend.js'
import {RemoteMd5, shellQuote} from '../../../src/backend/sftp/remote-md5.js'
import {openRegularFile, regularFileAttributes} from '../../../src/backend/sftp/open-regular-file.js'
import {RemoteTree} from '../../../src/backend/sftp/remote-tree.js'
import {resolveRemoteRoot} from '../../../src/backend/sftp/resolve-sftp-root.js'
import {REMOTE_MD5_MIN_BYTES, RemoteFileHasher} from '../../../src/backend/sftp/remote-file-hasher.js'
import {SftpBackend} from '../../../src/backend/sftp/sftp-backend.js'
import {SftpCalls} from '../../../src/backend/sftp/sftp-calls.js'
import {sftpFailure} from '../../../src/backend/sftp/sftp-errors.js'
import {openSshSession, type SshSession} from '../../../src/backend/sftp/ssh-session.js'
import {describeFsError} from '../../../src/errors.js'
import {isTempName} from '../../../src/tree/temp-name.js'
import {startSshServer, sshServerForSuite, type SshServer} from '../../helpers/sshd-server.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {MemorySource} from '../memory-source.js'

const run = promisify(execFile)
const server = sshServerForSuite()
const sftpOnlyServer = sshServerForSuite({sftpOnly: true})

async function sessionOn(t: TestContext, s: SshServer): Promise<SshSession> {
  const session = await openSshSession({host: s.host, port: s.port, user: s.user}, {sshKey: s.clientKey, knownHosts: s.knownHosts, agent: false})
  t.after(() => session.close())
  return session
}

/** A backend on a fresh directory (local and remote: the server is on loopback) and that directory. */
async function backendOn(t: TestContext, s: SshServer): Promise<{backend: SftpBackend; root: string; session: SshSession}> {
  const root = await tempDir(t, 'treesync-sftp-')
  const session = await sessionOn(t, s)
  return {backend: new SftpBackend(session, root, s.url(root)), root, session}
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex')
}

test('md5sum over exec and the SFTP-only fallback (reading) give the same MD5, whatever the name', async (t) => {
  const root = await tempDir(t, 'treesync-sftp-')
  const data = randomBytes(REMOTE_MD5_MIN_BYTES + 12_345)
  const name = `it's a $(touch nope) "name" \\ with\nlines.bin`
  await writeFile(join(root, name), data)
  const withExec = await sessionOn(t, server())
  const sftpOnly = await sessionOn(t, sftpOnlyServer())
  assert.equal(await new RemoteMd5(withExec).available(), true, 'exec works on the plain server')
  assert.equal(await new RemoteMd5(sftpOnly).available(), false, 'exec is refused on the SFTP-only server')
  assert.equal(await new RemoteMd5(withExec).md5Of(join(root, name)), md5(data), 'md5sum itself')
  const hashes = await Promise.all([withExec, sftpOnly].map((session) => new SftpBackend(session, root, 'sftp://test').hash(name)))
  assert.deepEqual(hashes, [{md5: md5(data), size: data.length}, {md5: md5(data), size: data.length}])

  // The hasher runs md5sum when it pays (here: commands made free), and reads otherwise.
  const remote = new RemoteMd5(withExec)
  await remote.available()
  remote.commandCostMs = 0
  let commands = 0
  const md5Of = remote.md5Of.bind(remote)
  remote.md5Of = (path) => (commands++, md5Of(path))
  const calls = new SftpCalls(withExec)
  const hasher = new RemoteFileHasher(calls, remote)
  const open = (): Promise<Buffer> => calls.open(join(root, name), 'r')
  const attrs = {size: data.length, mtime: Math.floor((await lstat(join(root, name))).mtimeMs / 1000)}
  assert.deepEqual(await hasher.hash(join(root, name), attrs, Number.POSITIVE_INFINITY, open), {md5: md5(data), size: data.length})
  assert.equal(commands, 1, 'md5sum was run')
  remote.commandCostMs = 60_000
  assert.deepEqual(await hasher.hash(join(root, name), attrs, Number.POSITIVE_INFINITY, open), {md5: md5(data), size: data.length})
  assert.equal(commands, 1, 'a file read faster than a command starts is read')
  assert.deepEqual(await new SftpBackend(withExec, root, 'sftp://test').hash(name, 1000), {md5: md5(data.subarray(0, 1000)), size: 1000}, 'a limit reads')
  assert.deepEqual(await readdir(root), [name], 'the command substitution in the name was not run')
})

test('shellQuote makes one shell word of any text', async () => {
  for (const text of [`a'b`, `$(x) \`y\` "z" \\ ;&|`, `'`, '']) {
    const {stdout} = await run('sh', ['-c', `printf %s ${shellQuote(text)}`])
    assert.equal(stdout, text)
  }
})

test('symlink targets land the right way round (OpenSSH swaps SYMLINK arguments)', async (t) => {
  const {backend, root} = await backendOn(t, server())
  await backend.symlink('link', 'some/target', ABSENT)
  assert.equal(await readlink(join(root, 'link')), 'some/target')
  await backend.symlink('link', '../elsewhere', {type: 'symlink', target: 'some/target'})
  assert.equal(await readlink(join(root, 'link')), '../elsewhere')
  assert.deepEqual(await readdir(root), ['link'], 'no temporary left')
})

test('list reports a symlink with its target and a FIFO as other; lstat semantics throughout', async (t) => {
  const {backend, root} = await backendOn(t, server())
  await mkdir(join(root, 'd'))
  await writeFile(join(root, 'd', 'f'), 'abc')
  await symlink('d', join(root, 'to-d'))
  await run('mkfifo', [join(root, 'fifo')])
  const listed = (await backend.list('')).map((e) => [e.name, e.type, e.target]).sort()
  assert.deepEqual(listed, [['d', 'dir', undefined], ['fifo', 'other', undefined], ['to-d', 'symlink', 'd']])
  assert.equal((await backend.stat('to-d'))?.type, 'symlink', 'stat does not follow a final symlink')
  await assert.rejects(backend.list('to-d'), {code: 'BAD_INPUT', path: 'to-d'}, 'a symlinked directory is not listed through')
  await assert.rejects(backend.openRead('fifo'), {code: 'BAD_INPUT', path: 'fifo'})
  await assert.rejects(backend.setMetadata('to-d', {mode: 0o700}), {code: 'PLAN_STALE', path: 'to-d'}, 'no chmod through a final symlink')
  assert.equal((await lstat(join(root, 'd'))).mode & 0o7777, 0o755)
})

test('a lost connection mid-write fails it naming its path, leaving only a temporary under a temporary name', async (t) => {
  const s = await startSshServer()
  t.after(() => s.stop())
  const {backend, root, session} = await backendOn(t, s)
  const source = new MemorySource()
  const data = randomBytes(8 * 1024 * 1024)
  source.put('big', data)
  let release = (): void => undefined
  const halfway = source.holdNextRead(data.length / 2, new Promise<void>((resolve) => (release = resolve)))
  const writing = backend.writeFile('big', {backend: source, path: 'big', expected: {size: data.length, mtimeMs: 1_704_164_644_000}}, {size: data.length, md5: md5(data), mtimeMs: 1_704_164_644_000}, ABSENT)
  // The write may fail as soon as the server is gone, before assert.rejects looks: handled now.
  const outcome = writing.then(
    () => undefined,
    (error: unknown) => error,
  )
  await halfway
  // kill() ends the connections' own sshd processes too: the session is lost.
  await s.kill()
  await session.ended
  release()
  const error = (await outcome) as (Error & {code?: string; path?: string}) | undefined
  assert.ok(error, 'the write failed')
  assert.equal(error.code, 'ROOT_UNREACHABLE')
  assert.equal(error.path, 'big')
  assert.match(error.message, /connection to .* lost/)
  await assert.rejects(backend.stat('big'), {code: 'ROOT_UNREACHABLE', path: 'big'}, 'later calls fail at once')
  await s.restart()
  const again = new SftpBackend(await sessionOn(t, s), root, s.url(root))
  const names = (await again.list('')).map((e) => e.name)
  assert.equal(names.length, 1, `only the temporary: ${names.join(', ')}`)
  assert.ok(isTempName(names[0]!), `${names[0]} is a temporary name`)
  assert.ok((await again.stat(names[0]!))!.size < data.length, 'the temporary is partial')
})

test('a file is read only if what was opened is what was lstat\'ed (OPEN follows a final symlink)', async (t) => {
  const {backend, root, session} = await backendOn(t, server())
  await writeFile(join(root, 'f'), 'abc')
  const calls = new SftpCalls(session)
  const tree = new RemoteTree(calls, root, 'test')
  const attrs = await regularFileAttributes(tree, 'f')
  await calls.close(await openRegularFile(tree, calls, 'f', attrs), join(root, 'f'))
  // As if a symlink to another file had been swapped in between the lstat and the open.
  await assert.rejects(openRegularFile(tree, calls, 'f', {...attrs, size: 4}), {code: 'PLAN_STALE', path: 'f'})
  await assert.rejects(regularFileAttributes(tree, 'missing'), {code: 'ENOENT'})
  assert.equal((await backend.hash('f')).md5, md5(Buffer.from('abc')))
})

test('nothing is written, made, read or removed outside the root through a directory swapped for a symlink', async (t) => {
  const {backend, root} = await backendOn(t, server())
  const outside = await tempDir(t, 'treesync-outside-')
  await writeFile(join(outside, 'secret'), 'outside')
  await mkdir(join(root, 'd'))
  const planned = {type: 'file' as const}
  await rm(join(root, 'd'), {recursive: true})
  await symlink(outside, join(root, 'd'))
  const source = new MemorySource()
  source.put('x', 'y')
  const from = {backend: source, path: 'x', expected: {size: 1, mtimeMs: 1_704_164_644_000}}
  await assert.rejects(backend.writeFile('d/new', from, {size: 1, mtimeMs: 1_704_164_644_000}, ABSENT), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.mkdir('d/sub'), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.remove('d/secret', planned), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.openRead('d/secret'), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.hash('d/secret'), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.move('x', 'd/moved', planned), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.symlink('d/l', 'x', ABSENT), {code: 'BAD_INPUT', path: 'd'})
  await assert.rejects(backend.setMetadata('d/secret', {mode: 0o777}), {code: 'BAD_INPUT', path: 'd'})
  assert.deepEqual(await readdir(outside), ['secret'])
  assert.equal((await lstat(join(outside, 'secret'))).mode & 0o777, 0o644)
})

test('an empty file is uploaded, read and hashed; a file of exactly one request too', async (t) => {
  const {backend, root} = await backendOn(t, server())
  const source = new MemorySource()
  for (const [name, data] of [['empty', Buffer.alloc(0)], ['one-request', randomBytes(255 * 1024)], ['just-over', randomBytes(255 * 1024 + 1)]] as const) {
    source.put(name, data)
    await backend.writeFile(name, {backend: source, path: name, expected: {size: data.length, mtimeMs: 1_704_164_644_000}}, {size: data.length, md5: md5(data), mode: 0o644, mtimeMs: 1_704_164_644_000}, ABSENT)
    assert.ok((await readFile(join(root, name))).equals(data), name)
    const chunks: Buffer[] = []
    for await (const chunk of await backend.openRead(name)) chunks.push(chunk as Buffer)
    assert.ok(Buffer.concat(chunks).equals(data), `${name} read back`)
    assert.deepEqual(await backend.hash(name), {md5: md5(data), size: data.length})
  }
  assert.equal((await lstat(join(root, 'empty'))).mtimeMs, 1_704_164_644_000)
})

test('resolveRemoteRoot: relative to the home directory, absolute from /, a missing replica through its nearest parent', async (t) => {
  const session = await sessionOn(t, server())
  const root = await tempDir(t, 'treesync-sftp-')
  await mkdir(join(root, 'real'))
  await symlink('real', join(root, 'alias'))
  assert.deepEqual(await resolveRemoteRoot(session, '.'), {path: homedir(), exists: true, isDirectory: true})
  assert.deepEqual(await resolveRemoteRoot(session, join(root, 'alias')), {path: join(root, 'real'), exists: true, isDirectory: true})
  assert.deepEqual(await resolveRemoteRoot(session, `${root}/alias/new/deeper`), {path: join(root, 'real', 'new', 'deeper'), exists: false, isDirectory: false})
  await writeFile(join(root, 'file'), 'x')
  assert.deepEqual(await resolveRemoteRoot(session, join(root, 'file')), {path: join(root, 'file'), exists: true, isDirectory: false})
})

test('SFTP status errors read like local ones', () => {
  const denied = sftpFailure(Object.assign(new Error('Permission denied'), {code: 3}), '/srv/x', 'u@h:22')
  assert.equal(describeFsError(denied), 'permission denied')
  assert.match(denied.message, /permission denied: \/srv\/x/)
  assert.equal(describeFsError(sftpFailure(Object.assign(new Error('No such file'), {code: 2}), '/srv/x', 'u@h:22')), 'no such file or directory')
  const lost = sftpFailure(new Error('No response from server'), '/srv/x', 'u@h:22')
  assert.deepEqual([(lost as Error & {code: string}).code, lost.message], ['ROOT_UNREACHABLE', 'connection to u@h:22 lost'])
})
