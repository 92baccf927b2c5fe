import assert from 'node:assert/strict'
import {chmod, lstat, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, test, type TestContext} from 'node:test'

import type {EntrySpec} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, letOthersReachTheCli, lines, LOG_LINE, logMessage, NOBODY, operationLines, parseJson, type ApplyJson, type PlanJson} from './support.js'

// The tests run as root, who may read and write anything; the CLI runs as nobody instead.
const AS_NOBODY = {uid: NOBODY, gid: NOBODY}

async function trees(t: TestContext, source: EntrySpec[], replica: EntrySpec[]) {
  const {ws, src, rep} = await cliTrees(t, source, replica)
  await ws.chownAll(NOBODY, NOBODY)
  return {ws, src, rep}
}

const under = (dir: string) => (e: {path: string}) => e.path === dir || e.path.startsWith(dir + '/')

describe('permission errors, running as an unprivileged user', () => {
  let restoreModes: (() => Promise<void>) | undefined
  before(async () => {
    restoreModes = await letOthersReachTheCli()
  })
  after(() => restoreModes?.())

  const unreadableDir = (t: TestContext) =>
    trees(
      t,
      [
        {path: 'locked/f.txt', type: 'file', content: 'f'},
        {path: 'locked', type: 'dir', mode: 0o000},
        {path: 'top.txt', type: 'file', content: 'top'},
      ],
      [
        {path: 'locked/f.txt', type: 'file', content: 'f'},
        {path: 'locked/g.txt', type: 'file', content: 'only in the replica'},
        {path: 'locked/sub/h.txt', type: 'file', content: 'h'},
      ],
    )

  test('an unreadable source directory is warned about and its replica counterpart is not deleted', async (t) => {
    const {ws, src, rep} = await unreadableDir(t)
    const before = (await snapshotTree(rep)).filter(under('locked'))

    const planned = await ws.cli(['plan', src, rep, '--json'], AS_NOBODY)
    assert.equal(planned.code, 0, planned.stderr)
    const plan = parseJson(planned.stdout) as PlanJson
    assert.deepEqual(plan.operations.filter(under('locked')), [], 'the plan touches the unreadable directory')

    const applied = await ws.cli(['apply', src, rep, '--auto-approve'], AS_NOBODY)
    // Whether this is a failure (exit 1) is the next test's subject; here it must not crash.
    assert.ok(applied.code === 0 || applied.code === 1, `exit ${applied.code}: ${applied.stderr}`)
    assert.match(applied.stderr, /warn[^\n]*locked|locked[^\n]*(permission|denied|cannot read)/i)
    assert.ok(!operationLines(applied.stdout).some((l) => l.startsWith('- locked')), applied.stdout)
    assert.deepEqual((await snapshotTree(rep)).filter(under('locked')), before, 'the replica counterpart changed')
    assert.equal(await readFile(join(rep, 'top.txt'), 'utf8'), 'top', 'the rest of the sync did not happen')
  })

  test('apply exits 1 when source entries could not be read, naming them', async (t) => {
    const {ws, src, rep} = await trees(
      t,
      [
        {path: 'secret.txt', type: 'file', content: 'new secret', mode: 0o000},
        {path: 'locked/f.txt', type: 'file', content: 'f'},
        {path: 'locked', type: 'dir', mode: 0o000},
        {path: 'top.txt', type: 'file', content: 'top'},
      ],
      [
        {path: 'secret.txt', type: 'file', content: 'old'},
        {path: 'locked/g.txt', type: 'file', content: 'g'},
      ],
    )
    const applied = await ws.cli(['apply', src, rep, '--auto-approve'], AS_NOBODY)
    assert.equal(applied.code, 1, `an incomplete sync exited ${applied.code}:\n${applied.stderr}`)
    assert.doesNotMatch(applied.stdout, /Apply complete!/, 'no "complete" above exit 1')
    assert.match(applied.stdout, /Apply finished with errors/)
    assert.match(applied.stderr, /secret\.txt/)
    assert.match(applied.stderr, /locked/)
    assert.equal(await readFile(join(rep, 'secret.txt'), 'utf8'), 'old')
    assert.equal(await readFile(join(rep, 'locked/g.txt'), 'utf8'), 'g')
    assert.equal(await readFile(join(rep, 'top.txt'), 'utf8'), 'top')
  })

  const unwritableReplicaDir = (t: TestContext) =>
    trees(
      t,
      [
        {path: 'ro/new.txt', type: 'file', content: 'new'},
        {path: 'ro/changed.txt', type: 'file', content: 'changed'},
        {path: 'ro', type: 'dir', mode: 0o555},
        {path: 'top.txt', type: 'file', content: 'top'},
        {path: 'ok/x.txt', type: 'file', content: 'x'},
      ],
      [
        {path: 'ro/changed.txt', type: 'file', content: 'old'},
        {path: 'ro/extra.txt', type: 'file', content: 'extra'},
        {path: 'ro', type: 'dir', mode: 0o555},
        {path: 'stale.txt', type: 'file', content: 'stale'},
      ],
    )

  test('an unwritable replica directory fails the operations inside it, names them, and the rest still happens', async (t) => {
    const {ws, src, rep} = await unwritableReplicaDir(t)
    const log = join(ws.dir, 'sync.log')
    const roBefore = (await snapshotTree(rep)).filter(under('ro'))

    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log], AS_NOBODY)
    assert.equal(applied.code, 1, applied.stderr)
    for (const path of ['ro/new.txt', 'ro/changed.txt', 'ro/extra.txt']) {
      assert.ok(applied.stderr.includes(path), `${path} is not reported:\n${applied.stderr}`)
    }
    assert.equal(await readFile(join(rep, 'top.txt'), 'utf8'), 'top')
    assert.equal(await readFile(join(rep, 'ok/x.txt'), 'utf8'), 'x')
    assert.ok(!(await snapshotTree(rep)).some((e) => e.path === 'stale.txt'), 'stale.txt was not deleted')
    assert.deepEqual((await snapshotTree(rep)).filter(under('ro')), roBefore, 'the unwritable directory changed')

    const logLines = lines(await readFile(log, 'utf8'))
    for (const line of logLines) assert.match(line, LOG_LINE)
    const errors = logLines.filter((l) => / ERROR /.test(l)).map(logMessage)
    for (const path of ['ro/new.txt', 'ro/changed.txt', 'ro/extra.txt']) {
      assert.ok(
        errors.some((m) => m.includes(path)),
        `no ERROR line for ${path}:\n${logLines.join('\n')}`,
      )
    }
  })

  test('apply --json lists the failed operations with their paths and errors', async (t) => {
    const {ws, src, rep} = await unwritableReplicaDir(t)
    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--json'], AS_NOBODY)
    assert.equal(applied.code, 1, applied.stderr)
    const out = parseJson(applied.stdout) as ApplyJson
    assert.deepEqual(out.failed.map((f) => f.path).sort(), ['ro/changed.txt', 'ro/extra.txt', 'ro/new.txt'])
    for (const failure of out.failed) assert.ok(typeof failure.error === 'string' && failure.error !== '', JSON.stringify(failure))
    const done = out.applied.map((a) => `${a.op} ${a.path}`)
    for (const op of ['create top.txt', 'create ok/x.txt', 'delete stale.txt']) assert.ok(done.includes(op), `${op} not applied`)
  })

  test('setuid and setgid bits survive a copy by an unprivileged user, whose writes make the kernel clear them', async (t) => {
    const {ws, src, rep} = await trees(
      t,
      [
        {path: 'suid', type: 'file', content: 'runs as its owner'},
        {path: 'sgid', type: 'file', content: 'runs as its group'},
      ],
      [],
    )
    // Set after chownAll: a chown clears both bits.
    await chmod(join(src, 'suid'), 0o4755)
    await chmod(join(src, 'sgid'), 0o2755)
    const applied = await ws.cli(['apply', src, rep, '--auto-approve'], AS_NOBODY)
    assert.equal(applied.code, 0, applied.stderr)
    assert.equal((await lstat(join(rep, 'suid'))).mode & 0o7777, 0o4755)
    assert.equal((await lstat(join(rep, 'sgid'))).mode & 0o7777, 0o2755)
  })
  test('a uid with no passwd entry, HOME or SHELL (a container user) syncs, warning that it has no hash cache', async (t) => {
    const {ws, src, rep} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'alpha'}])
    const uid = 4242
    await ws.chownAll(uid, uid)
    const applied = await ws.cli(['apply', src, rep, '--auto-approve'], {uid, gid: uid, env: {HOME: undefined, SHELL: undefined, XDG_CACHE_HOME: undefined}})
    assert.equal(applied.code, 0, applied.stderr)
    assert.equal(await readFile(join(rep, 'a.txt'), 'utf8'), 'alpha')
    assert.ok(applied.stderr.includes('cannot write hash cache /.cache/treesync/'), applied.stderr)
  })
})
