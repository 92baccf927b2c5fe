import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {access, mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN, hasStackTrace} from '../helpers/cli.js'
import {generateKey, sshServerForSuite} from '../helpers/sshd-server.js'
import {snapshotTree, type SnapshotEntry} from '../helpers/tree-snapshot.js'
import {buildTree, FIXED_MTIME_MS, type EntrySpec} from '../helpers/tree-builder.js'
import {cliTrees, operationLines, workspace} from './support.js'

const server = sshServerForSuite()
/** Keys and host keys from the fixture only: never the agent or keys of the user running the tests. */
const sshArgs = (): string[] => ['--ssh-key', server().clientKey, '--known-hosts', server().knownHosts]
const NO_AGENT = {SSH_AUTH_SOCK: ''}
const T0 = FIXED_MTIME_MS

/** A source and a replica that need every kind of operation. */
const SOURCE: EntrySpec[] = [
  {path: 'docs/a.txt', type: 'file', content: 'hello docs\n'},
  {path: 'empty/nested', type: 'dir', mode: 0o700, mtimeMs: T0 - 5000},
  {path: 'b.bin', type: 'file', content: 'new and longer content'},
  {path: 'same-size.txt', type: 'file', content: 'AAAA'},
  {path: 'c.txt', type: 'file', content: 'same content', mtimeMs: T0},
  {path: 'd.sh', type: 'file', content: '#!/bin/sh\n', mode: 0o755},
  {path: 'moved.txt', type: 'file', content: 'content that only moved, not changed'},
  {path: 'kept.txt', type: 'file', content: 'unchanged'},
  {path: 'link-to-dir', type: 'symlink', target: 'docs'},
  {path: 'retarget', type: 'symlink', target: 'docs/a.txt'},
]
const REPLICA: EntrySpec[] = [
  {path: 'b.bin', type: 'file', content: 'old'},
  {path: 'same-size.txt', type: 'file', content: 'BBBB'},
  {path: 'c.txt', type: 'file', content: 'same content', mtimeMs: T0 - 60_000},
  {path: 'd.sh', type: 'file', content: '#!/bin/sh\n', mode: 0o644},
  {path: 'old/name.txt', type: 'file', content: 'content that only moved, not changed'},
  {path: 'kept.txt', type: 'file', content: 'unchanged'},
  {path: 'retarget', type: 'symlink', target: 'b.bin'},
  {path: 'stale.log', type: 'file', content: 'stale'},
  {path: 'gone/sub/y.txt', type: 'file', content: 'y'},
]

/** A tree as SFTP keeps it: mtimes in whole seconds. */
async function snapshotToTheSecond(root: string): Promise<SnapshotEntry[]> {
  return (await snapshotTree(root)).map((e) => (e.mtimeMs === undefined ? e : {...e, mtimeMs: Math.floor(e.mtimeMs / 1000) * 1000}))
}

async function assertMirrorToTheSecond(source: string, replica: string): Promise<void> {
  assert.deepEqual(await snapshotToTheSecond(replica), await snapshotToTheSecond(source))
}

/** Asserts a refusal: exit 1, one line on stderr matching `message`, no stack trace. */
function assertRefused(result: {code: number | null; stderr: string}, message: RegExp): void {
  assert.equal(result.code, 1, result.stderr)
  assert.ok(!hasStackTrace(result.stderr), result.stderr)
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0]!, message)
}

test('local → SFTP: every kind of operation, an exact mirror on the server, then "No changes."', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const url = server().url(rep)
  const planned = await ws.cli(['plan', src, url, ...sshArgs()], {env: NO_AGENT})
  assert.equal(planned.code, 0, planned.stderr)
  assert.match(planned.stdout, /Replica sftp:\/\/.* keeps: mtimes to 1 s/)
  const ops = operationLines(planned.stdout)
  for (const kind of ['+', '~', '-', '>']) assert.ok(ops.some((line) => line.trimStart().startsWith(kind)), `${kind} in\n${planned.stdout}`)

  const applied = await ws.cli(['apply', src, url, '--auto-approve', ...sshArgs()], {env: NO_AGENT})
  assert.equal(applied.code, 0, applied.stderr)
  await assertMirrorToTheSecond(src, rep)

  const log = join(ws.dir, 'plan.log')
  const again = await ws.cli(['plan', src, url, '--detailed-exitcode', '--log-file', log, ...sshArgs()], {env: NO_AGENT})
  assert.equal(again.code, 0, again.stdout + again.stderr)
  assert.match(again.stdout, /No changes\./)
  // apply recorded what it wrote in the replica's hash cache: nothing is read back over SFTP.
  assert.match(await readFile(log, 'utf8'), /INFO hashed 0 files \(0 B\), \d+ from the hash cache/)
})

test('SFTP → local: pulling a backup back is an exact mirror too', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const url = server().url(src)
  const applied = await ws.cli(['apply', url, rep, '--auto-approve', ...sshArgs()], {env: NO_AGENT})
  assert.equal(applied.code, 0, applied.stderr)
  await assertMirrorToTheSecond(src, rep)
  const again = await ws.cli(['plan', url, rep, '--detailed-exitcode', ...sshArgs()], {env: NO_AGENT})
  assert.equal(again.code, 0, again.stdout + again.stderr)
  assert.match(again.stdout, /No changes\./)
})

test('a saved plan to an SFTP replica is applied exactly, and refused as stale after an edit on the server', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const url = server().url(rep)
  const planFile = join(ws.dir, 'sync.plan')
  assert.equal((await ws.cli(['plan', src, url, '--out', planFile, ...sshArgs()], {env: NO_AGENT})).code, 0)
  const plan = JSON.parse(await readFile(planFile, 'utf8')) as {replica: string}
  assert.equal(plan.replica, url, 'the plan names the replica by its URL')

  await writeFile(join(rep, 'stale.log'), 'edited on the server after the plan')
  const refused = await ws.cli(['apply', planFile, ...sshArgs()], {env: NO_AGENT})
  assert.equal(refused.code, 1, refused.stderr)
  assert.match(refused.stderr, /plan is stale: stale\.log/)
  assert.equal(await readFile(join(rep, 'b.bin'), 'utf8'), 'old', 'nothing was applied')

  assert.equal((await ws.cli(['plan', src, url, '--out', planFile, ...sshArgs()], {env: NO_AGENT})).code, 0)
  const applied = await ws.cli(['apply', planFile, ...sshArgs()], {env: NO_AGENT})
  assert.equal(applied.code, 0, applied.stderr)
  await assertMirrorToTheSecond(src, rep)
})

test('an unknown host key is refused with the host and its SHA256 fingerprint; nothing is created', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const empty = join(ws.dir, 'known_hosts')
  await writeFile(empty, '')
  const rep = join(ws.dir, 'rep')
  const result = await ws.cli(['apply', src, server().url(rep), '--auto-approve', '--ssh-key', server().clientKey, '--known-hosts', empty], {env: NO_AGENT})
  assertRefused(result, new RegExp(`127\\.0\\.0\\.1.*${escape(server().hostKey.fingerprint)}`))
  await assert.rejects(access(rep))
})

test('a changed host key is refused, naming the new fingerprint', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const other = await generateKey(join(ws.dir, 'other_host_key'))
  const publicLine = (await readFile(`${other}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  const knownHosts = join(ws.dir, 'known_hosts')
  await writeFile(knownHosts, `[127.0.0.1]:${server().port} ${publicLine}\n`)
  const result = await ws.cli(['plan', src, server().url(rep), '--ssh-key', server().clientKey, '--known-hosts', knownHosts], {env: NO_AGENT})
  assertRefused(result, new RegExp(`CHANGED.*${escape(server().hostKey.fingerprint)}`))
})

test('a server that is down, and a key the server does not accept: one line each, exit 1', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const down = await ws.cli(['plan', src, `sftp://root@127.0.0.1:9${rep}`, ...sshArgs()], {env: NO_AGENT})
  assertRefused(down, /127\.0\.0\.1.*(refused|cannot connect)/i)
  const wrongKey = await generateKey(join(ws.dir, 'wrong_key'))
  const denied = await ws.cli(['plan', src, server().url(rep), '--ssh-key', wrongKey, '--known-hosts', server().knownHosts], {env: NO_AGENT})
  assertRefused(denied, /authentication.*127\.0\.0\.1/i)
})

test('the rsync-style form HOST:PATH with ~/.ssh/config (HostName, User, Port, IdentityFile) and ~/.ssh/known_hosts', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE)
  const ssh = join(ws.env.HOME!, '.ssh')
  await mkdir(ssh, {recursive: true, mode: 0o700})
  const s = server()
  await writeFile(join(ssh, 'config'), `Host backup-nas\n  HostName 127.0.0.1\n  Port ${s.port}\n  User ${s.user}\n  IdentityFile ${s.clientKey}\n`)
  await writeFile(join(ssh, 'known_hosts'), await readFile(s.knownHosts))
  const applied = await ws.cli(['apply', src, `backup-nas:${rep}`, '--auto-approve'], {env: NO_AGENT})
  assert.equal(applied.code, 0, applied.stderr)
  await assertMirrorToTheSecond(src, rep)
})

test('sshd killed mid-apply: the apply fails naming paths, no partial file under a final name, the next apply converges', async (t) => {
  const ws = await workspace(t)
  const src = join(ws.dir, 'src')
  const rep = join(ws.dir, 'rep')
  const big = Buffer.alloc(48 * 1024 * 1024, 7)
  const specs: EntrySpec[] = [{path: 'big.bin', type: 'file', content: big}]
  for (let i = 0; i < 200; i++) specs.push({path: `many/f${i}.txt`, type: 'file', content: `file ${i}\n`.repeat(100)})
  await buildTree(src, specs)
  const s = server()
  const child = spawn(process.execPath, [BIN, 'apply', src, s.url(rep), '--auto-approve', ...sshArgs()], {env: {...process.env, ...ws.env, ...NO_AGENT}})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  // Kill the server once a temporary shows up in the replica: a copy is in flight.
  for (let i = 0; i < 400; i++) {
    const names = await readdir(rep).catch(() => [] as string[])
    if (names.some((name) => name.startsWith('.treesync-'))) break
    await sleep(10)
  }
  await s.kill()
  const code = await exited
  t.after(() => s.restart())
  assert.notEqual(code, 0, stderr)
  assert.ok(!hasStackTrace(stderr), stderr)
  // The operations in flight failed, each with its path.
  assert.match(stderr, /ERROR create \S+ failed: .*connection to .* lost/, stderr)
  assert.match(stderr, /ERROR apply stopped: .*connection to .* lost; \d+ applied, \d+ failed, \d+ skipped \(\d+ not started\); run apply again to finish/, stderr)
  // Once the connection is known lost, nothing more is started: no error line per remaining file.
  assert.ok(stderr.split('\n').filter((line) => / ERROR (create|meta) /.test(line)).length < 50, stderr)
  // Whatever landed under a final name is complete.
  const landed = await snapshotTree(rep)
  const expected = new Map((await snapshotTree(src)).map((e) => [e.path, e]))
  for (const entry of landed) {
    if (entry.path.split('/').at(-1)!.startsWith('.treesync-')) continue
    if (entry.type === 'file') assert.equal(entry.md5, expected.get(entry.path)?.md5, `${entry.path} is complete`)
  }
  await s.restart()
  const again = await ws.cli(['apply', src, s.url(rep), '--auto-approve', ...sshArgs()], {env: NO_AGENT})
  assert.equal(again.code, 0, again.stderr)
  await assertMirrorToTheSecond(src, rep)
  const plan = await ws.cli(['plan', src, s.url(rep), '--detailed-exitcode', ...sshArgs()], {env: NO_AGENT})
  assert.equal(plan.code, 0, plan.stdout + plan.stderr)
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

test('flags that need a local root are refused with one line: --backup-dir with an SFTP replica, watch --events with an SFTP source', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const backup = await ws.cli(['apply', src, server().url(rep), '--auto-approve', '--backup-dir', join(ws.dir, 'bak'), ...sshArgs()], {env: NO_AGENT})
  assertRefused(backup, /^Error: --backup-dir needs a local replica: sftp:\/\/.* is remote$/)
  assert.equal(await readFile(join(rep, 'b.bin'), 'utf8'), 'old', 'nothing was applied')
  const events = await ws.cli(['watch', server().url(src), rep, '--events', '--interval', '60', ...sshArgs()], {env: NO_AGENT})
  assertRefused(events, /^Error: --events needs a local SOURCE: sftp:\/\/.* is remote/)
})

test('two SFTP roots that nest on one server are refused however they are spelled (with and without a user, an alias and its address)', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const s = server()
  const ssh = join(ws.env.HOME!, '.ssh')
  await mkdir(ssh, {recursive: true})
  await writeFile(join(ssh, 'config'), `Host box\n  HostName 127.0.0.1\n  Port ${s.port}\n  User ${s.user}\n  IdentityFile ${s.clientKey}\n  UserKnownHostsFile ${s.knownHosts}\n`)
  const inner = join(src, 'docs')
  const spellings: Array<[string, string]> = [
    [`sftp://127.0.0.1:${s.port}${src}`, s.url(inner)],
    [`box:${inner}`, s.url(src)],
    [s.url(src), `box:${src}`],
  ]
  for (const [source, replica] of spellings) {
    const result = await ws.cli(['apply', source, replica, '--auto-approve', ...sshArgs()], {env: NO_AGENT})
    assertRefused(result, /^Error: (replica .* is inside source|source .* is inside replica|source and replica are the same directory)/)
  }
  await assertMirrorToTheSecond(src, src)
  assert.equal(await readFile(join(src, 'docs', 'a.txt'), 'utf8'), 'hello docs\n', 'the source is untouched')
})

test('one SFTP replica, one writer: a watch holds its lock against an apply that spells the replica another way', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const s = server()
  const ssh = join(ws.env.HOME!, '.ssh')
  await mkdir(ssh, {recursive: true})
  await writeFile(join(ssh, 'config'), `Host box\n  HostName 127.0.0.1\n  Port ${s.port}\n  User ${s.user}\n`)
  const log = join(ws.dir, 'watch.log')
  const watch = spawn(process.execPath, [BIN, 'watch', src, `box:${rep}`, '3600', log, ...sshArgs()], {env: {...process.env, ...ws.env, ...NO_AGENT}})
  const exited = new Promise<number | null>((resolve) => watch.on('close', resolve))
  t.after(() => watch.kill('SIGKILL'))
  for (let i = 0; i < 500 && !/watch started/.test(await readFile(log, 'utf8').catch(() => '')); i++) await sleep(20)
  const second = await ws.cli(['apply', src, s.url(rep), '--auto-approve', ...sshArgs()], {env: NO_AGENT})
  assertRefused(second, /^Error: replica sftp:\/\/.* is locked by another treesync process \(pid \d+\)$/)
  watch.kill('SIGTERM')
  assert.equal(await exited, 0)
})
