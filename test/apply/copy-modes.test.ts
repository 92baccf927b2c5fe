import assert from 'node:assert/strict'
import {chmod, copyFile, lstat} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {applyPlan} from '../../src/index.js'
import {planOnly} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'

/** Modes the process umask (022 here) would change on a plainly created file. */
const MODES = [0o777, 0o666, 0o620, 0o1755, 0o400]

async function modeOf(path: string): Promise<number> {
  return (await lstat(path)).mode & 0o7777
}

for (const copyWorkers of [0, 1]) {
  test(`copies keep the exact source mode, whatever the umask (${copyWorkers ? 'copy worker' : 'main thread'})`, async (t) => {
    const root = await tempDir(t)
    const [source, replica] = [join(root, 'source'), join(root, 'replica')]
    await buildTree(
      source,
      MODES.map((mode) => ({path: `m${mode.toString(8)}`, type: 'file' as const, content: 'x', mode})),
    )
    const result = await applyPlan(await planOnly(source, replica), {copyWorkers})
    assert.deepEqual(result.failed, [])
    for (const mode of MODES) assert.equal(await modeOf(join(replica, `m${mode.toString(8)}`)), mode, `mode ${mode.toString(8)}`)
  })
}

test('a source mode changed just before its copy still leaves the planned mode on the replica file', async (t) => {
  const root = await tempDir(t)
  const [source, replica] = [join(root, 'source'), join(root, 'replica')]
  await buildTree(source, [{path: 'f', type: 'file', content: 'data', mode: 0o644}])
  const plan = await planOnly(source, replica)
  const result = await applyPlan(plan, {
    // The copy sees mode 600; the plan said 644, and apply makes the plan's changes exactly.
    copyFile: async (src, dest) => {
      await chmod(src, 0o600)
      await copyFile(src, dest)
    },
  })
  assert.deepEqual(result.failed, [])
  assert.equal(await modeOf(join(replica, 'f')), 0o644)
})
