import assert from 'node:assert/strict'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {buildTree} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, workspace} from '../cli/support.js'

async function scene(t: Parameters<typeof workspace>[0], extras: number) {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  await buildTree(source, [{path: 'a.txt', type: 'file', content: 'a'}])
  await buildTree(replica, [
    {path: 'a.txt', type: 'file', content: 'a'},
    ...Array.from({length: extras}, (_, i) => ({path: `extra-${i}.txt`, type: 'file' as const, content: `${i}`})),
  ])
  const trees = async () => [await snapshotTree(source), await snapshotTree(replica)]
  return {ws, source, replica, trees}
}

test('--max-delete N refuses a plan removing more than N entries: exit 1, nothing applied, plan warns first', async (t) => {
  const s = await scene(t, 3)
  const plan = await s.ws.cli(['plan', s.source, s.replica, '--max-delete', '2'])
  assert.equal(plan.code, 0)
  assert.match(plan.stderr, /warning: \.: apply would refuse: the plan removes 3 entries, more than --max-delete 2/)

  const before = await s.trees()
  const applied = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--max-delete', '2'])
  assert.equal(applied.code, 1)
  assert.match(applied.stderr, /^Error: refusing to apply: the plan removes 3 entries, more than --max-delete 2; nothing was applied$/m)
  assert.deepEqual(await s.trees(), before)

  const allowed = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--max-delete', '3'])
  assert.equal(allowed.code, 0, 'exactly N removals are allowed')
})

test('a plan that would empty a non-empty replica is refused unless --allow-delete-all', async (t) => {
  const s = await scene(t, 2)
  await rm(s.source, {recursive: true})
  await mkdir(s.source)
  const plan = await s.ws.cli(['plan', s.source, s.replica])
  assert.equal(plan.code, 0)
  assert.match(plan.stderr, /apply would refuse: the plan removes all 3 entries of the replica while the source holds 0 entries: is the source .* empty or unmounted, or is .* the wrong replica\?/)

  const before = await s.trees()
  const refused = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^Error: refusing to apply: the plan removes all 3 entries/m)
  assert.deepEqual(await s.trees(), before)

  const allowed = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--allow-delete-all'])
  assert.equal(allowed.code, 0, allowed.stderr)
  assert.deepEqual(await snapshotTree(s.replica), [])
})

test('the guards also hold for a saved plan applied later', async (t) => {
  const s = await scene(t, 3)
  const file = join(s.ws.dir, 'p.json')
  assert.equal((await s.ws.cli(['plan', s.source, s.replica, '--out', file])).code, 0)
  const before = await s.trees()
  const refused = await s.ws.cli(['apply', file, '--max-delete', '1'])
  assert.equal(refused.code, 1)
  assert.deepEqual(await s.trees(), before)
})

test('a stray file in an unmounted source does not disarm the delete-all guard', async (t) => {
  const s = await scene(t, 2)
  await rm(s.source, {recursive: true})
  await mkdir(s.source)
  await writeFile(join(s.source, 'NOT_MOUNTED'), 'marker left on the mount point')
  const before = await s.trees()
  const refused = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /refusing to apply: the plan removes all 3 entries of the replica while the source holds 1 entry/)
  assert.deepEqual(await s.trees(), before)
})

test('a populated source into a replica holding a few stale entries is an ordinary first sync: it proceeds', async (t) => {
  const {ws, src: source, rep: replica} = await cliTrees(
    t,
    Array.from({length: 7}, (_, i) => ({path: `f${i}.txt`, type: 'file' as const, content: `${i}`})),
    [{path: 'stale.txt', type: 'file', content: 'stale'}],
  )
  const plan = await ws.cli(['plan', source, replica])
  assert.doesNotMatch(plan.stderr, /apply would refuse/)
  const applied = await ws.cli(['apply', source, replica, '--auto-approve'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.deepEqual(await snapshotTree(replica), await snapshotTree(source))
})

test('an unmounted source that keeps one empty folder the large replica also has is refused', async (t) => {
  const {ws, src: source, rep: replica} = await cliTrees(t, [{path: 'lost+found', type: 'dir'}], [
    {path: 'lost+found', type: 'dir'},
    ...Array.from({length: 150}, (_, i) => ({path: `photos/${i}.jpg`, type: 'file' as const, content: `${i}`})),
  ])
  const plan = await ws.cli(['plan', source, replica])
  assert.match(plan.stderr, /apply would refuse: the plan removes 151 of the 152 entries of the replica while the source holds 1 entry/)
  const before = await snapshotTree(replica)
  const refused = await ws.cli(['apply', source, replica, '--auto-approve'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /is the source .* empty or unmounted, or is .* the wrong replica\? \(pass --allow-delete-all/)
  assert.deepEqual(await snapshotTree(replica), before)
})
