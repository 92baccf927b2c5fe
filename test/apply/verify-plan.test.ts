import assert from 'node:assert/strict'
import {chmod, rename, rm, symlink} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {isTreesyncError, verifyPlan} from '../../src/index.js'
import {planOnly} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, FIXED_MTIME_MS, setTime} from '../helpers/tree-builder.js'

async function plannedScene(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  const roots = {source: join(root, 'source'), replica: join(root, 'replica')}
  await buildTree(roots.source, [{path: 'a.txt', type: 'file', content: 'new'}])
  await buildTree(roots.replica, [
    {path: 'a.txt', type: 'file', content: 'old'},
    {path: 'extra.txt', type: 'file', content: 'extra'},
  ])
  return {root, roots, plan: await planOnly(roots.source, roots.replica)}
}

test('a saved plan whose entries are as planned holds', async (t) => {
  const {plan} = await plannedScene(t)
  assert.equal(await verifyPlan(plan), undefined)
})

for (const root of ['source', 'replica'] as const) {
  test(`a saved plan is refused when its ${root} now resolves elsewhere, even with every entry as planned`, async (t) => {
    const scene = await plannedScene(t)
    // The same entries behind a symlink: nothing but the roots check can tell.
    const moved = join(scene.root, `moved-${root}`)
    await rename(scene.roots[root], moved)
    await symlink(moved, scene.roots[root])

    await assert.rejects(verifyPlan(scene.plan), (error) => {
      assert.ok(isTreesyncError(error))
      assert.equal(error.code, 'PLAN_STALE')
      assert.match(error.message, /^plan is stale: its directories now resolve elsewhere \(/)
      assert.ok(error.message.includes(moved), 'the message names where the roots now resolve')
      return true
    })
  })
}

test('a saved plan is stale when a replica symlink it removes was retargeted', async (t) => {
  const root = await tempDir(t)
  const source = join(root, 'source')
  const replica = join(root, 'replica')
  await buildTree(source, [{path: 'keep.txt', type: 'file', content: 'keep'}])
  await buildTree(replica, [{path: 'extra-link', type: 'symlink', target: 'old-target'}])
  const plan = await planOnly(source, replica)
  await rm(join(replica, 'extra-link'))
  await symlink('retargeted', join(replica, 'extra-link'))
  assert.deepEqual(await verifyPlan(plan), {path: 'extra-link', reason: 'replica entry changed: its target changed'})
})

describe('a meta operation is stale when its source entry changed, mode before mtime for a directory', () => {
  const later = FIXED_MTIME_MS + 60_000
  const cases: Array<[string, string, {mode?: number; mtimeMs?: number}, string]> = [
    ['file mode', 'same.txt', {mode: 0o600}, 'source mode changed'],
    ['file mtime', 'same.txt', {mtimeMs: later}, 'source file changed: its mtime changed'],
    ['file mode and mtime', 'same.txt', {mode: 0o600, mtimeMs: later}, 'source file changed: its mtime changed'],
    ['directory mode', 'dir', {mode: 0o700}, 'source mode changed'],
    ['directory mtime', 'dir', {mtimeMs: later}, 'source mtime changed'],
    ['directory mode and mtime', 'dir', {mode: 0o700, mtimeMs: later}, 'source mode changed'],
  ]
  for (const [name, path, change, reason] of cases) {
    test(name, async (t) => {
      const root = await tempDir(t)
      const source = join(root, 'source')
      const replica = join(root, 'replica')
      await buildTree(source, [
        {path: 'same.txt', type: 'file', content: 'same'},
        {path: 'dir', type: 'dir'},
      ])
      await buildTree(replica, [
        {path: 'same.txt', type: 'file', content: 'same', mtimeMs: FIXED_MTIME_MS - 60_000},
        {path: 'dir', type: 'dir', mtimeMs: FIXED_MTIME_MS - 60_000},
      ])
      const plan = await planOnly(source, replica)
      assert.deepEqual(plan.operations.map((op) => [op.op, op.path]).sort(), [['meta', 'dir'], ['meta', 'same.txt']])
      if (change.mode !== undefined) await chmod(join(source, path), change.mode)
      if (change.mtimeMs !== undefined) await setTime(join(source, path), change.mtimeMs)
      assert.deepEqual(await verifyPlan(plan), {path, reason})
    })
  }
})
