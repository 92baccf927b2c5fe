import assert from 'node:assert/strict'
import {copyFile, mkdir, readdir, readFile, rm, symlink} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {applyPlan, TreesyncError} from '../../src/index.js'
import {describeFsError} from '../../src/errors.js'
import {MIN_COPIES_FOR_WORKERS, MIN_HASHED_BYTES_FOR_WORKERS} from '../../src/apply/apply-plan.js'
import {fromWire, toWire} from '../../src/backend/local/copy-wire.js'
import {defaultCopyWorkers} from '../../src/util/concurrency.js'
import {planOnly, planThenChangeSource} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, type EntrySpec} from '../helpers/tree-builder.js'
import {assertMirror} from '../helpers/tree-snapshot.js'

async function setup(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  return {source: join(root, 'source'), replica: join(root, 'replica'), outside: join(root, 'outside'), backup: join(root, 'backup')}
}

function manyFiles(count: number): EntrySpec[] {
  return Array.from({length: count}, (_, i) => ({
    path: `d${i % 7}/sub${i % 3}/f${i}.txt`,
    type: 'file' as const,
    content: `file ${i} `.repeat(1 + (i % 50)),
    mode: i % 5 === 0 ? 0o600 : 0o644,
    mtimeMs: 1_700_000_000_000 + i * 1001,
  }))
}

test('a plan with many copies is applied by the copy workers (the default) into an exact mirror', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, manyFiles(MIN_COPIES_FOR_WORKERS + 50))
  const result = await applyPlan(await planOnly(source, replica))
  assert.deepEqual(result.failed, [])
  assert.equal(result.copyWorkers, defaultCopyWorkers())
  await assertMirror(source, replica)
})

test('a plan with few copies makes them on the main thread (the default): workers would cost more than they save', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, manyFiles(3))
  const result = await applyPlan(await planOnly(source, replica))
  assert.deepEqual(result.failed, [])
  assert.equal(result.copyWorkers, 0)
  await assertMirror(source, replica)
})

test('a plan with few copies but many bytes to hash makes them in the copy workers: hashing is CPU work, spread over the cores', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, [
    {path: 'big.bin', type: 'file', content: Buffer.alloc(MIN_HASHED_BYTES_FOR_WORKERS, 7)},
    {path: 'small.txt', type: 'file', content: 'small'},
  ])
  const result = await applyPlan(await planOnly(source, replica))
  assert.deepEqual(result.failed, [])
  assert.equal(result.copyWorkers, defaultCopyWorkers())
  await assertMirror(source, replica)
})

test('in a copy worker, a source file that changed after planning fails with its path and the rest is applied', async (t) => {
  const {source, replica} = await setup(t)
  const plan = await planThenChangeSource(source, replica)

  const result = await applyPlan(plan, {copyWorkers: 2})
  assert.equal(result.copyWorkers, 2)
  assert.deepEqual(result.failed, [{op: 'update', path: 'a.txt', error: 'source file changed since the plan was made: its size changed'}])
  assert.equal(await readFile(join(replica, 'a.txt'), 'utf8'), 'old a')
  assert.equal(await readFile(join(replica, 'b.txt'), 'utf8'), 'new b')
})

test('a copy worker never writes through a directory that became a symlink after planning', async (t) => {
  const {source, replica, outside} = await setup(t)
  await buildTree(source, [{path: 'd/f.txt', type: 'file', content: 'data'}])
  await buildTree(replica, [{path: 'd', type: 'dir'}])
  await mkdir(outside)
  const plan = await planOnly(source, replica)
  await rm(join(replica, 'd'), {recursive: true})
  await symlink(outside, join(replica, 'd'))

  const result = await applyPlan(plan, {copyWorkers: 1})
  assert.equal(result.copyWorkers, 1)
  assert.deepEqual(result.failed.map((f) => [f.path, f.error]), [['d', `d is a symlink: refusing to follow it out of ${replica}`]])
  assert.deepEqual(await readdir(outside), [], 'nothing was written outside the replica')
})

test('with --backup-dir, copies stay on the main thread and overwritten files are kept', async (t) => {
  const {source, replica, backup} = await setup(t)
  await buildTree(source, [{path: 'doc.txt', type: 'file', content: 'new version'}])
  await buildTree(replica, [{path: 'doc.txt', type: 'file', content: 'old version'}])
  const result = await applyPlan(await planOnly(source, replica), {copyWorkers: 2, backupDir: backup})
  assert.deepEqual(result.failed, [])
  assert.equal(result.copyWorkers, 0)
  assert.equal(await readFile(join(replica, 'doc.txt'), 'utf8'), 'new version')
  assert.equal(await readFile(join(backup, 'doc.txt'), 'utf8'), 'old version')
})

test('with an injected copyFile, copies stay on the main thread and every one goes through it', async (t) => {
  const {source, replica} = await setup(t)
  await buildTree(source, manyFiles(MIN_COPIES_FOR_WORKERS))
  const copied: string[] = []
  const result = await applyPlan(await planOnly(source, replica), {
    copyWorkers: 2,
    copyFile: async (src, dest) => {
      copied.push(src)
      await copyFile(src, dest)
    },
  })
  assert.deepEqual(result.failed, [])
  assert.equal(result.copyWorkers, 0)
  assert.equal(copied.length, MIN_COPIES_FOR_WORKERS)
  await assertMirror(source, replica)
})

test('errors keep their kind, code and path across the thread boundary', () => {
  const stale = fromWire(toWire(new TreesyncError('PLAN_STALE', 'replica entry appeared since the plan was made', 'x/y')))
  assert.ok(stale instanceof TreesyncError)
  assert.deepEqual([stale.code, stale.message, stale.path], ['PLAN_STALE', 'replica entry appeared since the plan was made', 'x/y'])

  const denied = Object.assign(new Error("EACCES: permission denied, open '/r/x'"), {code: 'EACCES', errno: -13, syscall: 'open', path: '/r/x'})
  const crossed = fromWire(toWire(denied)) as NodeJS.ErrnoException
  assert.equal(describeFsError(crossed), 'permission denied')
  assert.deepEqual([crossed.code, crossed.syscall, crossed.path], ['EACCES', 'open', '/r/x'])
})
