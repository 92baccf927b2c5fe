import assert from 'node:assert/strict'
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmod, mkdir, readFile, realpath, rm, stat, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test, type TestContext} from 'node:test'

import {lockingPid} from '../../src/lock/lock-holder.js'
import {BIN, hasStackTrace} from '../helpers/cli.js'
import {assertMirror} from '../helpers/tree-snapshot.js'
import {eventually} from '../watch/watch-process.js'
import {cliTrees, letOthersReachTheCli, NOBODY, type Workspace} from '../cli/support.js'

/** A second unprivileged user, with no entry in /etc/passwd: uids need none. */
const OTHER = 4242

/** A long-running process as some user, killed (with its process group) when the test ends. */
function startAs(t: TestContext, uid: number, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(command, args, {uid, gid: uid, env: {...process.env, NO_COLOR: '1', ...env}, detached: true})
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  t.after(() => killGroup(child))
  return {child, output: () => output, exited}
}

function killGroup(child: ChildProcessWithoutNullStreams): void {
  try {
    process.kill(-child.pid!, 'SIGKILL')
  } catch {
    // gone already
  }
}

/** A source with two files and a replica path; the replica root, once made, is writable by anyone. */
async function scene(t: TestContext): Promise<{ws: Workspace; src: string; rep: string; log: string}> {
  const {ws, src, rep} = await cliTrees(t, [
    {path: 'a.txt', type: 'file', content: 'alpha'},
    {path: 'dir/b.txt', type: 'file', content: 'beta'},
  ])
  await mkdir(rep)
  await ws.chownAll(NOBODY, NOBODY)
  await chmod(rep, 0o777)
  return {ws, src, rep, log: join(ws.dir, 'sync.log')}
}

describe('the replica lock, across users', () => {
  let restoreModes: (() => Promise<void>) | undefined
  before(async () => {
    restoreModes = await letOthersReachTheCli()
  })
  after(() => restoreModes?.())

  test('a lock file squatted by another user in a shared directory does not block a sync', async (t) => {
    const {ws, src, rep} = await scene(t)
    // The name treesync once used, predictable by anyone: /tmp/treesync-locks/<hash of the replica>.lock.
    const dir = '/tmp/treesync-locks'
    await mkdir(dir, {recursive: true})
    await chmod(dir, 0o1777)
    const squat = join(dir, `${createHash('sha256').update(await realpath(rep)).digest('hex').slice(0, 32)}.lock`)
    t.after(() => rm(squat, {force: true}))
    // nobody records a live process of their own as the holder, and stays alive.
    const record = `{"pid":$$,"host":"${hostname()}","since":"2026-01-01T00:00:00.000Z","replica":"${await realpath(rep)}"}`
    const squatter = startAs(t, NOBODY, 'sh', ['-c', `printf '%s\\n' "${record.replaceAll('"', '\\"')}" > ${squat} && exec sleep 60`])
    await eventually(async () => (await stat(squat)).uid === NOBODY, 5000, 'the squatted lock file')
    assert.equal(squatter.child.exitCode, null, squatter.output())

    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)
    await assertMirror(src, rep)
  })

  test("another user's running sync holds the lock; once it is killed (kill -9) the lock is taken over by a third user", async (t) => {
    const {ws, src, rep, log} = await scene(t)
    const watch = startAs(t, NOBODY, process.execPath, [BIN, 'watch', src, rep, '0.2', log], ws.env)
    await eventually(() => assertMirror(src, rep), 15_000, 'the first mirror by nobody')
    const pid = watch.child.pid!

    for (const as of [{}, {uid: OTHER, gid: OTHER}]) {
      const refused = await ws.cli(['apply', src, rep, '--auto-approve', '--no-cache'], as)
      assert.equal(refused.code, 1, refused.stderr)
      assert.match(refused.stderr, /^Error: replica .* is locked by another treesync process \(pid .*\n$/, 'one line')
      assert.ok(refused.stderr.includes(`(pid ${pid}`), refused.stderr)
      assert.ok(!hasStackTrace(refused.stderr))
    }

    process.kill(pid, 'SIGKILL')
    await watch.exited
    await writeFile(join(src, 'later.txt'), 'later')
    const taken = await ws.cli(['apply', src, rep, '--auto-approve', '--no-cache'], {uid: OTHER, gid: OTHER})
    assert.equal(taken.code, 0, taken.stderr)
    assert.equal(await readFile(join(rep, 'later.txt'), 'utf8'), 'later')
  })

  test('a process that is not treesync holding the lock is named by pid and command', async (t) => {
    const {ws, src, rep} = await scene(t)
    const holder = startAs(t, NOBODY, 'flock', [rep, 'sh', '-c', 'echo held; exec sleep 60'])
    await eventually(() => holder.output().includes('held'), 5000, 'the foreign lock')
    const refused = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(refused.code, 1, refused.stderr)
    assert.equal(refused.stderr, `Error: replica ${await realpath(rep)} is locked by another process (pid ${holder.child.pid}, flock)\n`)
  })
})

describe('the replica lock, one user', () => {
  test('two applies at once: one applies, the other exits 1 naming its pid', async (t) => {
    const {ws, src, rep, log} = await scene(t)
    // A watch is an apply that lasts: it holds the lock from start to exit.
    const watch = startAs(t, 0, process.execPath, [BIN, 'watch', src, rep, '0.2', log], ws.env)
    await eventually(() => assertMirror(src, rep), 15_000, 'the first mirror')
    const second = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(second.code, 1)
    assert.ok(second.stderr.includes(`pid ${watch.child.pid}`), second.stderr)
    process.kill(watch.child.pid!, 'SIGTERM')
    assert.equal(await watch.exited, 0)
    assert.equal((await ws.cli(['apply', src, rep, '--auto-approve'])).code, 0, 'released at exit')
  })

  test('a missing replica made to hold the lock is removed again when nothing was applied', async (t) => {
    const {ws, src} = await scene(t)
    const fresh = join(ws.dir, 'fresh')
    const refused = await ws.cli(['apply', src, fresh]) // no terminal, no --auto-approve
    assert.equal(refused.code, 1)
    await assert.rejects(stat(fresh), {code: 'ENOENT'})
    assert.equal((await ws.cli(['apply', src, fresh, '--auto-approve'])).code, 0)
    await assertMirror(src, fresh)
  })
})

describe('lockingPid reads /proc/locks', () => {
  const dev = 0xfe00n // fe:00
  const locks = [
    '1: POSIX  ADVISORY  WRITE 10 fe:00:99 0 EOF',
    '2: FLOCK  ADVISORY  WRITE 20 fe:00:42 0 EOF',
    '2: -> FLOCK  ADVISORY  WRITE 21 fe:00:42 0 EOF',
    '3: FLOCK  ADVISORY  WRITE 30 00:2a:77 0 EOF',
  ].join('\n')
  test('the FLOCK holder of the inode on the device, not a waiter', () => assert.equal(lockingPid(locks, dev, 42n), 20))
  test('an inode alone when the device numbers disagree (btrfs, overlayfs)', () => assert.equal(lockingPid(locks, dev, 77n), 30))
  test('POSIX locks and unknown inodes are not flock holders', () => {
    assert.equal(lockingPid(locks, dev, 99n), undefined)
    assert.equal(lockingPid(locks, dev, 5n), undefined)
  })
})
