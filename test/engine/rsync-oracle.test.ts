import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {test} from 'node:test'

import {mutateTree, randomTree, seededRandom} from '../helpers/random-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {syncOnce} from '../helpers/sync-on-disk.js'

const SEEDS = 30

function requireRsync(): void {
  const probe = spawnSync('rsync', ['--version'])
  if (probe.error || probe.status !== 0) {
    assert.fail('rsync is not installed; this oracle test needs it: apt-get update && apt-get install -y rsync')
  }
}

/**
 * rsync is the reference: `rsync -a --delete` into one copy of the replica and treesync
 * into another must give identical trees, and rsync must then find nothing to do in
 * treesync's result. (The roots themselves are not entries; symlink times are not part of
 * treesync's contract, so the check runs with rsync's --omit-link-times. rsync compares
 * times to the second by default; --modify-window=-1 makes it exact.)
 */
test(`treesync and rsync -a --delete produce the same mirror on ${SEEDS} random tree pairs`, async (t) => {
  requireRsync()
  const root = await tempDir(t)
  for (let seed = 1000; seed < 1000 + SEEDS; seed++) {
    const random = seededRandom(seed)
    const sourceSpecs = randomTree(random, 30)
    const replicaSpecs = seed % 2 === 0 ? mutateTree(random, sourceSpecs) : randomTree(random, 30)
    const source = join(root, `${seed}`, 'source')
    const byTreesync = join(root, `${seed}`, 'treesync')
    const byRsync = join(root, `${seed}`, 'rsync')
    await buildTree(source, sourceSpecs)
    await buildTree(byTreesync, replicaSpecs)
    await buildTree(byRsync, replicaSpecs)

    await syncOnce(source, byTreesync)
    execFileSync('rsync', ['-a', '--delete', '--checksum', '--modify-window=-1', `${source}/`, `${byRsync}/`])
    assert.deepEqual(await snapshotTree(byTreesync), await snapshotTree(byRsync), `seed ${seed}: same tree as rsync`)

    const itemized = execFileSync('rsync', ['-ani', '--delete', '--checksum', '--modify-window=-1', '--omit-link-times', `${source}/`, `${byTreesync}/`], {
      encoding: 'utf8',
    })
    const changes = itemized.split('\n').filter((line) => line !== '' && !line.endsWith(' ./'))
    assert.deepEqual(changes, [], `seed ${seed}: rsync finds nothing left to do`)
  }
})
