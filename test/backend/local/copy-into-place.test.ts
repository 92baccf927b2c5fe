import assert from 'node:assert/strict'
import {chmod, constants, copyFile, lstat, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {applyPlan, type Plan} from '../../../src/index.js'
import {ABSENT} from '../../../src/backend/backend.js'
import {copyIntoPlace} from '../../../src/backend/local/copy-into-place.js'
import type {CreateFileOperation} from '../../../src/plan/operation.js'
import {promiseIo} from '../../../src/backend/local/file-io.js'
import {RootedTree} from '../../../src/backend/local/rooted-tree.js'
import {planOnly} from '../../helpers/sync-on-disk.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {buildTree, type EntrySpec} from '../../helpers/tree-builder.js'

/** Modes the process umask (022 here) would change on a plainly created file. */
const MODES = [0o777, 0o666, 0o620, 0o1755, 0o400]

async function modeOf(path: string): Promise<number> {
  return (await lstat(path)).mode & 0o7777
}

async function scene(t: Parameters<typeof tempDir>[0], specs: EntrySpec[]): Promise<{source: string; replica: string; plan: Plan}> {
  const root = await tempDir(t)
  const [source, replica] = [join(root, 'source'), join(root, 'replica')]
  await buildTree(source, specs)
  await mkdir(replica)
  return {source, replica, plan: await planOnly(source, replica)}
}

for (const copyWorkers of [0, 1]) {
  test(`copies keep the exact source mode, whatever the umask (${copyWorkers ? 'copy worker' : 'main thread'})`, async (t) => {
    const {replica, plan} = await scene(
      t,
      MODES.map((mode) => ({path: `m${mode.toString(8)}`, type: 'file' as const, content: 'x', mode})),
    )
    const result = await applyPlan(plan, {copyWorkers})
    assert.deepEqual(result.failed, [])
    for (const mode of MODES) assert.equal(await modeOf(join(replica, `m${mode.toString(8)}`)), mode, `mode ${mode.toString(8)}`)
  })
}

/** Copies `f` of a one-file scene into place on this thread, through `copy`. */
async function copyOne(s: {source: string; replica: string; plan: Plan}, copy: (src: string, dest: string) => Promise<void>, copyKeepsMode: boolean): Promise<void> {
  const op = s.plan.operations.find((o): o is CreateFileOperation => o.op === 'create' && o.path === 'f')!
  const io = {...promiseIo(copy), copyKeepsMode}
  const job = {sourcePath: op.path, path: op.path, source: {size: op.size, mtimeMs: op.mtimeMs}, attributes: op, expected: ABSENT}
  await copyIntoPlace(job, {source: new RootedTree(s.source, io), tree: new RootedTree(s.replica, io), io})
}

test('a source mode changed just before its copy still leaves the planned mode on the replica file', async (t) => {
  const s = await scene(t, [{path: 'f', type: 'file', content: 'data', mode: 0o644}])
  // The copy sees mode 600 (and keeps it, as the kernel copy does); the plan said 644.
  await copyOne(
    s,
    async (src, dest) => {
      await chmod(src, 0o600)
      await copyFile(src, dest, constants.COPYFILE_EXCL)
    },
    true,
  )
  assert.equal(await modeOf(join(s.replica, 'f')), 0o644)
})

test('a copy that does not keep the source mode is always followed by a chmod to the planned mode', async (t) => {
  const s = await scene(t, [{path: 'f', type: 'file', content: 'data', mode: 0o600}])
  await copyOne(s, async (src, dest) => writeFile(dest, await readFile(src), {flag: 'wx'}), false)
  assert.equal(await modeOf(join(s.replica, 'f')), 0o600)
})

test('a temporary name found taken (EEXIST) fails the copy and leaves the file that holds it alone', async (t) => {
  const s = await scene(t, [{path: 'f', type: 'file', content: 'data'}])
  let taken = ''
  const someoneElses = async (_src: string, dest: string) => {
    taken = dest
    await writeFile(dest, 'not treesync\'s')
    throw Object.assign(new Error(`EEXIST: file already exists, copyfile -> '${dest}'`), {code: 'EEXIST'})
  }
  await assert.rejects(copyOne(s, someoneElses, true), {code: 'EEXIST'})
  assert.equal(await readFile(taken, 'utf8'), 'not treesync\'s')
})
