import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {access, symlink} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {hasStackTrace} from '../helpers/cli.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, lastLine, workspace} from './support.js'

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false)

describe('small things that erode trust', () => {
  test('a FIFO in the replica where the source has a file is warned about, not failed on every run', async (t) => {
    const {ws, src, rep} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}, {path: 'b.txt', type: 'file', content: 'b'}], [])
    execFileSync('mkfifo', [join(rep, 'a.txt')])
    for (const run of [1, 2]) {
      const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
      assert.equal(applied.code, 0, `run ${run}: ${applied.stderr}`)
      assert.doesNotMatch(applied.stderr, /appeared since the plan was made|ERROR/)
      assert.match(applied.stderr, /WARN a\.txt: not copied: the replica holds a special file/)
    }
    assert.ok(await exists(join(rep, 'b.txt')), 'the rest is synced')
  })

  test('a replica root that is a dangling symlink is refused in one line', async (t) => {
    const {ws, src} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}])
    const rep = join(ws.dir, 'rep')
    await symlink(join(ws.dir, 'nowhere'), rep)
    for (const command of ['plan', 'apply']) {
      const result = await ws.cli([command, src, rep, '--auto-approve'].slice(0, command === 'plan' ? 3 : 4))
      assert.equal(result.code, 1, result.stderr)
      assert.match(result.stderr, /^Error: .*rep is a symbolic link to .*nowhere, which does not exist/)
      assert.doesNotMatch(result.stderr, /internal error/)
      assert.ok(!hasStackTrace(result.stderr))
    }
    assert.ok(!(await exists(join(ws.dir, 'nowhere'))))
  })

  test("a missing REPLICA's missing parents are refused unless --mkpath; plan says it will create the replica", async (t) => {
    const {ws, src} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}])
    const deep = join(ws.dir, 'mnt', 'bakcup', 'x')
    const refused = await ws.cli(['apply', src, deep, '--auto-approve'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^Error: the replica's parent folder .*bakcup does not exist \(check the path, or pass --mkpath to create it\)$/m)
    assert.ok(!(await exists(join(ws.dir, 'mnt'))), 'nothing was created')

    const planned = await ws.cli(['plan', src, join(ws.dir, 'new')])
    assert.equal(planned.code, 0)
    assert.match(planned.stdout, /into .*new \(a new folder: apply creates it\):/)

    const made = await ws.cli(['apply', src, deep, '--auto-approve', '--mkpath'])
    assert.equal(made.code, 0, made.stderr)
    assert.deepEqual(await snapshotTree(deep), await snapshotTree(src))
  })

  test('counts are singular when they are one', async (t) => {
    const ws = await workspace(t)
    const {src, rep} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}], [])
    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(lastLine(applied.stdout), /^Apply complete! 1 operation applied, /)
  })
})
