import assert from 'node:assert/strict'
import {join} from 'node:path'
import {test} from 'node:test'

import {mutateTree, randomTree, seededRandom} from '../helpers/random-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror} from '../helpers/tree-snapshot.js'
import {planOnly, syncOnce} from '../helpers/sync-on-disk.js'

const PAIRS = 120

test(`apply turns ${PAIRS} random seeded replicas into exact mirrors of their sources`, async (t) => {
  const root = await tempDir(t)
  for (let seed = 1; seed <= PAIRS; seed++) {
    const random = seededRandom(seed)
    const sourceSpecs = randomTree(random, 30)
    // Half the replicas drift from their source (renames, meta fixes); half are unrelated trees.
    const replicaSpecs = seed % 2 === 0 ? mutateTree(random, sourceSpecs) : randomTree(random, 30)
    const source = join(root, `${seed}`, 'source')
    const replica = join(root, `${seed}`, 'replica')
    await buildTree(source, sourceSpecs)
    await buildTree(replica, replicaSpecs)
    // size-mtime cannot see an edit that kept size and mtime (by design), so it only runs
    // on drifted replicas, where every edit moved the mtime.
    const compare = seed % 10 === 0 ? 'size-mtime' : 'md5'

    const {result} = await syncOnce(source, replica, compare)
    assert.deepEqual(result.failed, [], `seed ${seed}: no operation fails`)
    assert.deepEqual(result.skipped, [], `seed ${seed}: no operation is skipped`)
    await assertMirror(source, replica, `seed ${seed}: replica mirrors source`)
    const again = await planOnly(source, replica, compare)
    assert.deepEqual(again.operations, [], `seed ${seed}: a second plan has no changes`)
  }
})
