import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {copyFile, mkdir, open, readdir, readFile, unlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {applyPlan, type ApplyOptions} from '../../src/index.js'
import {planOnly} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {workspace} from '../cli/support.js'

async function scene(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  const s = {source: join(root, 'source'), replica: join(root, 'replica')}
  await buildTree(s.source, [
    {path: 'big.bin', type: 'file', content: Buffer.alloc(256 * 1024, 1)},
    {path: 'other.txt', type: 'file', content: 'other, new'},
  ])
  await buildTree(s.replica, [
    {path: 'big.bin', type: 'file', content: 'the old big file'},
    {path: 'other.txt', type: 'file', content: 'other, old'},
  ])
  return s
}

/** Plans, then applies with a copy function that misbehaves for `big.bin`. */
async function applyWithFaultyCopy(s: {source: string; replica: string}, fault: ApplyOptions['copyFile']) {
  const plan = await planOnly(s.source, s.replica)
  return applyPlan(plan, {
    copyFile: (src, dest) => (src.endsWith('big.bin') ? fault!(src, dest) : copyFile(src, dest)),
  })
}

async function noTemporaries(dir: string): Promise<void> {
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.treesync-')), [])
}

test('a source file that changes while being copied is reported; its replica file keeps the old content and is fixed next run', async (t) => {
  const s = await scene(t)
  const result = await applyWithFaultyCopy(s, async (src, dest) => {
    const data = await readFile(src)
    await writeFile(dest, data.subarray(0, data.length / 2))
    await writeFile(src, Buffer.alloc(300 * 1024, 2)) // someone rewrites it mid-copy
    const handle = await open(dest, 'a')
    await handle.write(data.subarray(data.length / 2))
    await handle.close()
  })
  assert.deepEqual(result.failed.map((f) => [f.path, f.error]), [['big.bin', 'source file changed while it was being copied']])
  assert.equal(await readFile(join(s.replica, 'big.bin'), 'utf8'), 'the old big file')
  assert.equal(await readFile(join(s.replica, 'other.txt'), 'utf8'), 'other, new', 'the other operation went on')
  await noTemporaries(s.replica)

  const plan = await planOnly(s.source, s.replica)
  assert.deepEqual((await applyPlan(plan)).failed, [])
  await assertMirror(s.source, s.replica)
})

test('a source file that vanishes during the copy is reported and the replica file is left as it was', async (t) => {
  const s = await scene(t)
  const result = await applyWithFaultyCopy(s, async (src, dest) => {
    await copyFile(src, dest)
    await unlink(src)
  })
  assert.deepEqual(result.failed.map((f) => f.path), ['big.bin'])
  assert.equal(await readFile(join(s.replica, 'big.bin'), 'utf8'), 'the old big file')
  await noTemporaries(s.replica)
})

test('ENOSPC in the middle of a copy leaves the old replica file intact and no temporary behind', async (t) => {
  const s = await scene(t)
  const result = await applyWithFaultyCopy(s, async (src, dest) => {
    await writeFile(dest, (await readFile(src)).subarray(0, 1000))
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
  })
  assert.deepEqual(result.failed.map((f) => [f.path, f.error]), [['big.bin', 'no space left on device']])
  assert.equal(await readFile(join(s.replica, 'big.bin'), 'utf8'), 'the old big file')
  await noTemporaries(s.replica)
})

test('a real full filesystem (1 MiB tmpfs) fails the copy and keeps the old file', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  await mkdir(replica)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', replica])
  // Unmounted in the test itself: `after` hooks run in order, and the temp dir's removal comes first.
  try {
    await fullFilesystemCase(ws, source, replica)
  } finally {
    execFileSync('umount', ['-l', replica])
  }
})

async function fullFilesystemCase(ws: Awaited<ReturnType<typeof workspace>>, source: string, replica: string): Promise<void> {
  await buildTree(replica, [{path: 'big.bin', type: 'file', content: 'old and small'}])
  await buildTree(source, [
    {path: 'big.bin', type: 'file', content: Buffer.alloc(3 * 1024 * 1024, 7)},
    {path: 'small.txt', type: 'file', content: 'fits'},
  ])
  const result = await ws.cli(['apply', source, replica, '--auto-approve'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /ERROR update big\.bin failed: no space left on device/)
  assert.equal(await readFile(join(replica, 'big.bin'), 'utf8'), 'old and small')
  assert.equal(await readFile(join(replica, 'small.txt'), 'utf8'), 'fits')
  await noTemporaries(replica)
}

test('a bind-mount alias of the source is recognised: same directory, or nested in it', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const alias = join(ws.dir, 'alias')
  await buildTree(source, [{path: 'sub/f', type: 'file', content: 'f'}])
  await mkdir(alias)
  execFileSync('mount', ['--bind', source, alias])
  try {
    const before = await snapshotTree(source)
    const same = await ws.cli(['apply', source, alias, '--auto-approve'])
    assert.equal(same.code, 1)
    assert.match(same.stderr, /^Error: source and replica are the same directory/)
    const nested = await ws.cli(['apply', source, join(alias, 'sub', 'replica'), '--auto-approve'])
    assert.equal(nested.code, 1)
    assert.match(nested.stderr, /^Error: replica .* is inside source/)
    assert.deepEqual(await snapshotTree(source), before)
  } finally {
    execFileSync('umount', ['-l', alias])
  }
})
