import assert from 'node:assert/strict'
import {mkdir, readdir, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {hasStackTrace, runCli} from '../helpers/cli.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {eventually, LOG_LINE, logLines, startCli} from './watch-process.js'

async function scene(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  const s = {root, source: join(root, 'source'), replica: join(root, 'replica'), log: join(root, 'sync.log'), cache: join(root, 'cache')}
  await buildTree(s.source, [
    {path: 'a.txt', type: 'file', content: 'alpha'},
    {path: 'dir/b.txt', type: 'file', content: 'beta'},
  ])
  return s
}

const cycles = async (log: string): Promise<number> => (await logLines(log)).filter((l) => / cycle \d+: /.test(l)).length

describe('watch', () => {
  test('mirrors at once, converges after changes, logs every action, and stops cleanly on SIGTERM', async (t) => {
    const s = await scene(t)
    await writeFile(s.log, 'an earlier line that must survive\n')
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'first mirror')

    await writeFile(join(s.source, 'a.txt'), 'alpha, edited')
    await writeFile(join(s.source, 'new.txt'), 'new')
    await rm(join(s.source, 'dir'), {recursive: true})
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'convergence after changes')

    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
    const lines = await logLines(s.log)
    assert.equal(lines[0], 'an earlier line that must survive', 'the log is appended, not truncated')
    for (const line of lines.slice(1)) assert.match(line, LOG_LINE)
    assert.ok(lines.some((l) => / INFO create new\.txt /.test(l)), 'one line per applied op')
    assert.ok(lines.some((l) => / INFO update a\.txt /.test(l)))
    assert.ok(lines.some((l) => / INFO delete dir\/b\.txt /.test(l)))
    assert.ok(lines.some((l) => / INFO rmdir dir /.test(l)))
    assert.ok(lines.some((l) => / cycle \d+: /.test(l)), 'a summary line per cycle')
    assert.match(lines.at(-1)!, / INFO watch stopped after \d+ cycles$/)
    assert.ok(!(await readdir(s.replica)).some((n) => n.startsWith('.treesync-')), 'no temporaries left')
    assert.ok(watch.output().includes('watch stopped'), 'the same events go to the console')
  })

  test('positional INTERVAL and LOGFILE after a repeatable flag are still positional', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '--exclude', '*.tmp', '0.2', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycles(s.log)) >= 2, 10_000, 'two cycles in the log file')
    assert.ok((await logLines(s.log)).some((l) => /every 0\.2 s/.test(l)))
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
  })

  test('SIGINT also finishes cleanly with exit 0 and a final line', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '--interval', '0.2', '--log-file', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycles(s.log)) >= 1, 10_000, 'a cycle')
    watch.child.kill('SIGINT')
    assert.equal(await watch.exited, 0)
    assert.match((await logLines(s.log)).at(-1)!, /watch stopped/)
  })

  test('a missing source deletes nothing; the loop goes on and resumes when it is back', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'first mirror')
    const mirrored = await snapshotTree(s.replica)

    const away = join(s.root, 'source-away')
    await rename(s.source, away)
    await eventually(async () => (await logLines(s.log)).some((l) => / ERROR cycle \d+ failed: source directory does not exist/.test(l)))
    const failuresSeen = await cycles(s.log)
    await eventually(async () => (await logLines(s.log)).length > failuresSeen + 2, 10_000, 'more cycles')
    assert.deepEqual(await snapshotTree(s.replica), mirrored, 'nothing deleted while the source is missing')

    await rename(away, s.source)
    await writeFile(join(s.source, 'after.txt'), 'back')
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'resumed mirroring')
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
  })

  test('an emptied source (unmounted?) deletes nothing, still copies, and warns, unless --allow-delete-all', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'first mirror')
    const mirrored = await snapshotTree(s.replica)
    await rm(s.source, {recursive: true})
    await mkdir(s.source)
    const held = / WARN holding back 3 operations that remove or replace entries: the plan removes all 3 entries of the replica while the source holds 0 entries/
    await eventually(async () => (await logLines(s.log)).some((l) => held.test(l)))
    assert.deepEqual(await snapshotTree(s.replica), mirrored)
    // The guard holds the removals back, not the cycle: new data still reaches the replica.
    await writeFile(join(s.source, 'NOT_MOUNTED'), 'a marker on the mount point')
    await eventually(async () => (await readdir(s.replica)).includes('NOT_MOUNTED'), 10_000, 'the create went ahead')
    assert.deepEqual((await snapshotTree(s.replica)).filter((e) => e.path !== 'NOT_MOUNTED'), mirrored, 'nothing removed')
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)

    const allowed = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache, '--allow-delete-all'])
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'removals applied')
    allowed.child.kill('SIGTERM')
    assert.equal(await allowed.exited, 0)
  })

  test('a first sync into a replica holding a stale file goes ahead (the guard does not block it)', async (t) => {
    const s = await scene(t)
    await buildTree(s.replica, [{path: 'stale.txt', type: 'file', content: 'from an earlier life'}])
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'first mirror')
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
    assert.ok(!(await logLines(s.log)).some((l) => / WARN holding back/.test(l)))
  })

  test('--events converges long before a 30 s interval', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '30', s.log, '--events', '--cache-dir', s.cache])
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'first mirror')
    await eventually(async () => (await cycles(s.log)) >= 1)
    await new Promise((r) => setTimeout(r, 300)) // let the watcher settle after its initial scan
    await writeFile(join(s.source, 'event.txt'), 'seen by the watcher')
    const elapsed = await eventually(() => assertMirror(s.source, s.replica), 10_000, 'event-driven mirror')
    assert.ok(elapsed < 10_000, `converged in ${elapsed} ms`)
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
  })
})

describe('the replica lock', () => {
  test('a second process on the same replica exits 1 naming the holder pid, whatever its cache dir', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycles(s.log)) >= 1, 10_000, 'a cycle')
    const pid = watch.child.pid!

    const apply = await runCli(['apply', s.source, s.replica, '--auto-approve', '--cache-dir', s.cache])
    assert.equal(apply.code, 1)
    assert.ok(apply.stderr.includes(`pid ${pid}`), apply.stderr)
    assert.ok(!hasStackTrace(apply.stderr))
    const second = await runCli(['watch', s.source, s.replica, '0.2', '--cache-dir', join(s.root, 'another-cache')], {
      env: {XDG_CACHE_HOME: join(s.root, 'xdg')},
    })
    assert.equal(second.code, 1)
    assert.ok(second.stderr.includes(`pid ${pid}`), second.stderr)

    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
    const after = await runCli(['apply', s.source, s.replica, '--auto-approve', '--cache-dir', s.cache])
    assert.equal(after.code, 0, 'the lock is released on exit')
  })

  test('a stale lock left by a killed process is taken over', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycles(s.log)) >= 1, 10_000, 'a cycle')
    watch.child.kill('SIGKILL')
    await watch.exited

    await writeFile(join(s.source, 'later.txt'), 'later')
    const apply = await runCli(['apply', s.source, s.replica, '--auto-approve', '--cache-dir', s.cache])
    assert.equal(apply.code, 0, apply.stderr)
    await assertMirror(s.source, s.replica)
  })
})

describe('watch refuses bad input', () => {
  for (const interval of ['0', '-1', 'abc', '']) {
    test(`INTERVAL "${interval}" exits 1 with one line`, async (t) => {
      const s = await scene(t)
      const result = await runCli(['watch', s.source, s.replica, interval])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: INTERVAL must be a number of seconds greater than 0/)
      assert.equal(result.stderr.trim().split('\n').length, 1)
      assert.deepEqual(await readdir(s.root).then((n) => n.includes('replica')), false, 'nothing created')
    })
  }

  test('an unwritable LOGFILE exits 1 before any cycle', async (t) => {
    const s = await scene(t)
    const result = await runCli(['watch', s.source, s.replica, '1', join(s.root, 'no-such-dir', 'x.log')])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: cannot write log file/)
  })
})
