import assert from 'node:assert/strict'
import {constants, copyFile, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {applyPlan, preparePlan, resolveRoots} from '../../src/index.js'
import {sweepTemporaries} from '../../src/apply/sweep-temporaries.js'
import type {CopyFile} from '../../src/backend/local/file-io.js'
import {UNREACHABLE_S3_ENV} from '../helpers/cli.js'
import {planOnly, planThenChangeSource} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, FIXED_MTIME_MS} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'

async function setup(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  return {root, source: join(root, 'source'), replica: join(root, 'replica'), outside: join(root, 'outside')}
}

test('a source file that changed after planning is not copied; the rest is applied', async (t) => {
  const {source, replica} = await setup(t)
  const plan = await planThenChangeSource(source, replica)

  const result = await applyPlan(plan)
  assert.deepEqual(result.failed.map((f) => f.path), ['a.txt'])
  assert.match(result.failed[0]!.error, /source file changed/)
  assert.equal(await readFile(join(replica, 'a.txt'), 'utf8'), 'old a', 'the old content is kept')
  assert.equal(await readFile(join(replica, 'b.txt'), 'utf8'), 'new b', 'other operations go on')
})

test('a replica entry that changed after planning is neither overwritten nor deleted', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, [
    {path: 'keep.txt', type: 'file', content: 'source'},
    {path: 'link', type: 'symlink', target: 'new-target'},
  ])
  await buildTree(replica, [
    {path: 'keep.txt', type: 'file', content: 'replica'},
    {path: 'extra.txt', type: 'file', content: 'extra'},
    {path: 'link', type: 'symlink', target: 'old-target'},
    {path: 'extra-link', type: 'symlink', target: 'old-target'},
  ])
  const plan = await planOnly(source, replica)
  await writeFile(join(replica, 'keep.txt'), 'edited after the plan')
  await writeFile(join(replica, 'extra.txt'), 'also edited after the plan')
  for (const name of ['link', 'extra-link']) {
    await rm(join(replica, name))
    await symlink('retargeted', join(replica, name))
  }

  const result = await applyPlan(plan)
  assert.deepEqual(result.failed.map((f) => [f.path, f.error.replace(/.*: /, '')]).sort(), [
    ['extra-link', 'its target changed'],
    ['extra.txt', 'its size changed'],
    ['keep.txt', 'its size changed'],
    ['link', 'its target changed'],
  ])
  assert.equal(await readFile(join(replica, 'keep.txt'), 'utf8'), 'edited after the plan')
  assert.equal(await readFile(join(replica, 'extra.txt'), 'utf8'), 'also edited after the plan')
  assert.equal(await readlink(join(replica, 'link')), 'retargeted')
  assert.equal(await readlink(join(replica, 'extra-link')), 'retargeted')
})

test('an entry that appears in a directory being removed survives (rmdir is never recursive)', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, [{path: 'x', type: 'file', content: 'x'}])
  await buildTree(replica, [{path: 'old/a', type: 'file', content: 'a'}])
  const plan = await planOnly(source, replica)
  await writeFile(join(replica, 'old', 'new-after-plan'), 'precious')

  // The plan removes all of a small replica: the empty-source guard would stop it first.
  const result = await applyPlan(plan, {guards: {allowDeleteAll: true}})
  assert.deepEqual(result.failed.map((f) => [f.op, f.path]), [['rmdir', 'old']])
  assert.equal(await readFile(join(replica, 'old', 'new-after-plan'), 'utf8'), 'precious')
})

test('never writes through a directory that became a symlink after planning', async (t) => {
  const {source, replica, outside} = await setup(t)
  await buildTree(source, [{path: 'd/f.txt', type: 'file', content: 'data'}])
  await buildTree(replica, [{path: 'd', type: 'dir'}])
  await mkdir(outside)
  const plan = await planOnly(source, replica)
  await rm(join(replica, 'd'), {recursive: true})
  await symlink(outside, join(replica, 'd'))

  const result = await applyPlan(plan)
  assert.equal(result.failed.length, 1)
  assert.match(result.failed[0]!.error, /symlink/)
  assert.deepEqual(await readdir(outside), [], 'nothing was written outside the replica')
})

test('a symlink in the replica where the source has a directory is replaced, not followed', async (t) => {
  const {source, replica, outside} = await setup(t)
  await buildTree(source, [{path: 'd/f.txt', type: 'file', content: 'data'}])
  await buildTree(outside, [{path: 'victim.txt', type: 'file', content: 'keep me'}])
  await mkdir(replica)
  await symlink(outside, join(replica, 'd'))

  const result = await applyPlan(await planOnly(source, replica))
  assert.deepEqual(result.failed, [])
  assert.ok((await lstat(join(replica, 'd'))).isDirectory())
  assert.deepEqual(await readdir(outside), ['victim.txt'])
})

test('entries inside a directory that could not be created are skipped, not attempted', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, [{path: 'd/one', type: 'file', content: '1'}])
  await mkdir(replica)
  const plan = await planOnly(source, replica)
  await writeFile(join(replica, 'd'), 'a file took the name')

  const result = await applyPlan(plan)
  assert.deepEqual(result.failed.map((f) => [f.op, f.path]), [['mkdir', 'd']])
  assert.deepEqual(result.skipped.map((s) => [s.op, s.path]), [['create', 'd/one']])
})

test('a directory whose entries change keeps its mtime when the plan does not name it', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, [{path: 'd/new', type: 'file', content: 'n'}])
  await buildTree(replica, [
    {path: 'd', type: 'dir', mtimeMs: FIXED_MTIME_MS},
    {path: 'd/stale', type: 'file', content: 's'},
  ])
  const plan = await planOnly(source, replica)
  assert.deepEqual(
    plan.operations.map((op) => op.op),
    ['create', 'delete'],
    'same directory mtime on both sides: no meta op',
  )
  await applyPlan(plan)
  const dir = (await snapshotTree(replica)).find((e) => e.path === 'd')
  assert.equal(dir?.mtimeMs, FIXED_MTIME_MS)
})

test('leftover temporaries are not listed by the scan and are swept', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, [{path: 'a', type: 'file', content: 'a'}])
  await buildTree(replica, [
    {path: 'a', type: 'file', content: 'a'},
    {path: 'sub/.treesync-0123456789abcdef.tmp', type: 'file', content: 'partial'},
  ])
  const {plan, replica: manifest} = await preparePlan(await resolveRoots(source, replica), {compare: 'md5'})
  assert.ok(!plan.operations.some((op) => op.path.includes('.treesync-')), 'temporaries are not user entries')
  assert.deepEqual(manifest.temporaries, ['sub/.treesync-0123456789abcdef.tmp'])
  assert.equal(await sweepTemporaries(replica, manifest.temporaries), 1)
  assert.deepEqual(await readdir(join(replica, 'sub')), [])
})

/** A file copy that runs `swap` once, right after the first file is copied. */
function swapDuringFirstCopy(swap: () => Promise<void>): CopyFile {
  let swapped = false
  return async (src, dest) => {
    await copyFile(src, dest, constants.COPYFILE_EXCL)
    if (swapped) return
    swapped = true
    await swap()
  }
}

test('a directory swapped for a symlink in the middle of apply is never written through', async (t) => {
  const {source, replica, outside} = await setup(t)
  await buildTree(source, [
    {path: 'd/f1', type: 'file', content: 'one'},
    {path: 'd/f2', type: 'file', content: 'two'},
  ])
  await buildTree(replica, [{path: 'd', type: 'dir'}])
  await mkdir(outside)
  const plan = await planOnly(source, replica)
  const result = await applyPlan(plan, {
    concurrency: 1,
    // An attacker (or an accident) replaces the directory while its first file is copied.
    copyFile: swapDuringFirstCopy(async () => {
      await rename(join(replica, 'd'), join(replica, 'd.real'))
      await symlink(outside, join(replica, 'd'))
    }),
  })
  assert.equal(result.applied.length, 0)
  assert.ok(result.failed.every((f) => /symlink/.test(f.error)), JSON.stringify(result.failed))
  assert.deepEqual(await readdir(outside), [], 'nothing was written outside the replica')
})

test('a replica root swapped for a symlink in the middle of apply is never written through', async (t) => {
  const {source, replica, outside} = await setup(t)
  await buildTree(source, [
    {path: 'f1', type: 'file', content: 'one'},
    {path: 'f2', type: 'file', content: 'two'},
  ])
  await mkdir(replica)
  await mkdir(outside)
  const plan = await planOnly(source, replica)
  const result = await applyPlan(plan, {
    concurrency: 1,
    copyFile: swapDuringFirstCopy(async () => {
      await rename(replica, `${replica}.real`)
      await symlink(outside, replica)
    }),
  })
  assert.equal(result.applied.length, 0)
  assert.deepEqual(
    result.failed.map((f) => [f.path, f.error]),
    ['f1', 'f2'].map((path) => [path, `${replica} is no longer a directory but a symlink: refusing to follow it`]),
  )
  assert.deepEqual(await readdir(outside), [], 'nothing was written outside the replica')
})

test('a plan naming an unreachable S3 or SFTP root fails, and nothing is created for it, not even a local folder of that name', async (t) => {
  const {root, source, replica} = await setup(t)
  await buildTree(source, [{path: 'a.txt', type: 'file', content: 'a'}])
  const plan = await planOnly(source, replica)
  const cwd = process.cwd()
  process.chdir(root)
  t.after(() => process.chdir(cwd))
  const saved = {...process.env}
  t.after(() => {
    process.env = saved
  })
  Object.assign(process.env, UNREACHABLE_S3_ENV)
  const refusals: Array<[Partial<typeof plan>, string]> = [
    [{replica: 's3://bucket/site'}, 'ROOT_UNREACHABLE'],
    // Port 9 (discard) on loopback: nothing listens, so the refusal is immediate and needs no DNS.
    [{replica: 'sftp://backup@127.0.0.1:9/volume1/photos'}, 'ROOT_UNREACHABLE'],
    [{replica: 'sftp://backup@127.0.0.1:9/~/photos'}, 'ROOT_UNREACHABLE'],
    [{source: 'sftp://127.0.0.1:9/photos'}, 'ROOT_UNREACHABLE'],
  ]
  for (const [roots, code] of refusals) {
    await assert.rejects(applyPlan({...plan, ...roots}), (error: {code?: string}) => error.code === code, JSON.stringify(roots))
  }
  assert.deepEqual((await readdir(root)).sort(), ['source'])
})
