import assert from 'node:assert/strict'
import {rename, symlink} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {isTreesyncError, verifyPlan} from '../../src/index.js'
import {planOnly} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'

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
