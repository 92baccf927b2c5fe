import assert from 'node:assert/strict'
import {mkdir, readdir, readFile, rename, utimes, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, test} from 'node:test'

import {
  applyPlan,
  FileHashCache,
  MemoryHashCache,
  preparePlan,
  resolveRoots,
  saveRunCaches,
  type HashCache,
  type PreparedPlan,
  type TreeHashCaches,
} from '../../src/index.js'
import {hashCacheFile, openHashCaches} from '../../src/cache/file-hash-cache.js'
import {isRacy} from '../../src/cache/packed-hashes.js'
import {recordAppliedHashes, ReplicaHashRecorder} from '../../src/cache/replica-hash-recorder.js'
import {mutateTree, randomTree, seededRandom} from '../helpers/random-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, FIXED_MTIME_MS} from '../helpers/tree-builder.js'

/** Longer than the racy window, so files written before it are trusted by the cache. */
const SETTLE_MS = 150

async function scene(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  const s = {source: join(root, 'source'), replica: join(root, 'replica'), cache: join(root, 'cache')}
  await buildTree(s.source, [
    {path: 'a.txt', type: 'file', content: 'aaaa'},
    {path: 'dir/b.txt', type: 'file', content: 'bbbb'},
  ])
  await buildTree(s.replica, [
    {path: 'a.txt', type: 'file', content: 'aaaa'},
    {path: 'dir/b.txt', type: 'file', content: 'bbbb'},
  ])
  await sleep(SETTLE_MS)
  return s
}

type Scene = {source: string; replica: string; cache: string}

/** Plans with both trees' file caches and leaves the run open: the caller records, then saves. */
async function planRun(s: Scene): Promise<PreparedPlan & {caches: TreeHashCaches}> {
  const roots = await resolveRoots(s.source, s.replica)
  const caches = await openHashCaches(s.cache, roots)
  return {...(await preparePlan(roots, {compare: 'md5'}, {caches})), caches}
}

/** A run that only plans: with the file caches (saved at its end, as a run does), or without any. */
async function plan(s: Scene, cache = true): Promise<PreparedPlan> {
  if (!cache) return preparePlan(await resolveRoots(s.source, s.replica), {compare: 'md5'})
  const prepared = await planRun(s)
  await saveRunCaches(prepared.caches, (warning) => prepared.notices.push(warning))
  return prepared
}

/** Plans, then applies with a ReplicaHashRecorder taking each applied operation, as apply does. */
async function applyRecording(s: Scene) {
  const prepared = await planRun(s)
  const recorder = new ReplicaHashRecorder(prepared.caches.replica, s.replica)
  await applyPlan(prepared.plan, {onEvent: (event) => event.type === 'applied' && recorder.add(event.op)})
  return {prepared, recorder}
}

describe('the hash cache', () => {
  test('a warm cache hashes nothing, and the plan is the same as without it', async (t) => {
    const s = await scene(t)
    const cold = await plan(s)
    assert.equal(cold.hashing.hashedFiles, 4)
    const warm = await plan(s)
    assert.deepEqual(warm.hashing, {hashedFiles: 0, hashedBytes: 0, cachedFiles: 4})
    assert.deepEqual(warm.plan.operations, (await plan(s, false)).plan.operations)
  })

  test('after apply, the files it wrote are known: the next plan hashes nothing', async (t) => {
    const s = await scene(t)
    await writeFile(join(s.source, 'new.bin'), 'fresh content')
    await utimes(join(s.source, 'new.bin'), new Date(FIXED_MTIME_MS), new Date(FIXED_MTIME_MS))
    await writeFile(join(s.source, 'a.txt'), 'AAAA')
    await utimes(join(s.source, 'a.txt'), new Date(FIXED_MTIME_MS + 5000), new Date(FIXED_MTIME_MS + 5000))
    await sleep(SETTLE_MS)
    const prepared = await planRun(s)
    const result = await applyPlan(prepared.plan)
    await recordAppliedHashes(prepared.caches.replica, s.replica, result.applied)
    await saveRunCaches(prepared.caches, assert.fail)
    const next = await plan(s)
    assert.deepEqual(next.plan.operations, [])
    assert.equal(next.hashing.hashedFiles, 0)
  })

  test('apply records each file once its timestamps settle, without waiting for the end of apply', async (t) => {
    const s = await scene(t)
    await writeFile(join(s.source, 'new.bin'), 'fresh content')
    await writeFile(join(s.source, 'dir/b.txt'), 'BBBB')
    await sleep(SETTLE_MS)
    const {prepared, recorder} = await applyRecording(s)
    // No finish(): the records must already be there once the racy window has passed.
    await sleep(SETTLE_MS * 2)
    await saveRunCaches(prepared.caches, assert.fail)
    const next = await plan(s)
    assert.deepEqual(next.plan.operations, [])
    assert.equal(next.hashing.hashedFiles, 0)
    await recorder.finish() // nothing left: resolves at once
  })

  test('a file rewritten after apply wrote it, with its size and mtime put back, is not recorded with the plan\'s hash', async (t) => {
    const s = await scene(t)
    await writeFile(join(s.source, 'a.txt'), 'AAAA')
    await utimes(join(s.source, 'a.txt'), new Date(FIXED_MTIME_MS + 5000), new Date(FIXED_MTIME_MS + 5000))
    await sleep(SETTLE_MS)
    const {prepared, recorder} = await applyRecording(s)
    // Before the recorder looks (110 ms on), but a timestamp tick (≤ 10 ms) after apply's
    // write: new content, same size, the mtime apply set put back.
    await sleep(30)
    await writeFile(join(s.replica, 'a.txt'), 'ZZZZ')
    await utimes(join(s.replica, 'a.txt'), new Date(FIXED_MTIME_MS + 5000), new Date(FIXED_MTIME_MS + 5000))
    await recorder.finish()
    await saveRunCaches(prepared.caches, assert.fail)
    await sleep(SETTLE_MS)
    const next = await plan(s)
    assert.deepEqual(next.plan.operations.map((op) => [op.op, op.path, op.reason]), [['update', 'a.txt', 'content']])
  })

  test('a cancelled recorder records nothing more', async (t) => {
    const s = await scene(t)
    await writeFile(join(s.source, 'new.bin'), 'fresh content')
    await sleep(SETTLE_MS)
    const {prepared, recorder} = await applyRecording(s)
    recorder.cancel()
    await recorder.finish() // nothing left to wait for
    await sleep(SETTLE_MS * 2)
    await saveRunCaches(prepared.caches, assert.fail)
    assert.equal((await plan(s)).hashing.hashedFiles, 1, 'the new replica file is hashed: it was never recorded')
  })

  test('a replica file edited between plan and apply fails its meta fix and cannot poison the cache', async (t) => {
    const s = await scene(t)
    await utimes(join(s.source, 'a.txt'), new Date(FIXED_MTIME_MS + 9000), new Date(FIXED_MTIME_MS + 9000))
    await sleep(SETTLE_MS)
    const prepared = await planRun(s)
    assert.deepEqual(prepared.plan.operations.map((op) => [op.op, op.path]), [['meta', 'a.txt']])
    await writeFile(join(s.replica, 'a.txt'), 'BBBB') // same size, new content, before apply
    const result = await applyPlan(prepared.plan)
    assert.deepEqual(result.failed.map((f) => f.path), ['a.txt'])
    await recordAppliedHashes(prepared.caches.replica, s.replica, result.applied)
    await saveRunCaches(prepared.caches, assert.fail)
    await sleep(SETTLE_MS)
    const next = await plan(s)
    assert.deepEqual(next.plan.operations.map((op) => [op.op, op.path, op.reason]), [['update', 'a.txt', 'content']])
  })

  test('new content with the same size and the mtime restored (touch -d) is still detected: ctime moved', async (t) => {
    const s = await scene(t)
    await plan(s)
    await writeFile(join(s.source, 'a.txt'), 'zzzz')
    await utimes(join(s.source, 'a.txt'), new Date(FIXED_MTIME_MS), new Date(FIXED_MTIME_MS))
    const after = await plan(s)
    assert.deepEqual(after.plan.operations.map((op) => [op.op, op.path, op.reason]), [['update', 'a.txt', 'content']])
  })

  test('a file replaced by another inode with the same size and mtime is detected', async (t) => {
    const s = await scene(t)
    await plan(s)
    const fresh = join(s.source, 'dir', 'replacement')
    await writeFile(fresh, 'yyyy')
    await utimes(fresh, new Date(FIXED_MTIME_MS), new Date(FIXED_MTIME_MS))
    await rename(fresh, join(s.source, 'dir', 'b.txt'))
    const after = await plan(s)
    // (dir's own mtime moved too: a file was created and renamed inside it)
    assert.deepEqual(after.plan.operations.filter((op) => op.path === 'dir/b.txt').map((op) => [op.op, op.reason]), [['update', 'content']])
  })

  test('a racy file (changed within a timestamp tick of being examined) is not trusted: hashed again next time', async (t) => {
    const s = await scene(t)
    await writeFile(join(s.source, 'a.txt'), 'aaaa') // same content, but ctime is now: racy for this scan
    const first = await plan(s)
    assert.equal(first.hashing.hashedFiles, 4)
    await sleep(SETTLE_MS)
    const second = await plan(s)
    assert.equal(second.hashing.hashedFiles, 1, 'only the racy file is read again')
    const third = await plan(s)
    assert.equal(third.hashing.hashedFiles, 0, 'once settled, it is trusted')
  })

  test('isRacy compares mtime and ctime with the moment of examination', () => {
    const base = {size: 1, ino: 1n, mtimeNs: 10_000_000_000n, ctimeNs: 10_000_000_000n}
    assert.equal(isRacy(base, 10_050_000_000n), true)
    assert.equal(isRacy(base, 10_200_000_000n), false)
    assert.equal(isRacy({...base, ctimeNs: 10_150_000_000n}, 10_200_000_000n), true)
  })

  test('a corrupt cache file is ignored with a warning and results do not change', async (t) => {
    const s = await scene(t)
    await plan(s)
    const root = (await resolveRoots(s.source, s.replica)).source
    const file = hashCacheFile(s.cache, root)
    const good = await readFile(file, 'utf8')
    const corruptions: Array<[string, string, RegExp, number]> = [
      ['another tree', good.replace(JSON.stringify(root), '"x"'), /^ignoring hash cache \S+: it belongs to another tree$/, 2],
      ['not a cache', 'not a cache at all', /^ignoring hash cache \S+: not a treesync hash cache of this version$/, 2],
      ['truncated', good.slice(0, -5), /^ignoring hash cache \S+: its index is missing$/, 2],
      // Same length, so the index still fits: only the record of a.txt is unusable.
      ['damaged record', good.replace(/(\na\.txt\t[\d\t]+)\t/, '$1 '), /^ignoring part of hash cache \S+: malformed record/, 1],
    ]
    for (const [name, text, problem, rehashed] of corruptions) {
      assert.notEqual(text, good, name)
      await writeFile(file, text)
      const after = await plan(s)
      assert.equal(after.notices.length, 1, name)
      assert.match(after.notices[0]!, problem, name)
      assert.ok(after.notices[0]!.includes(file), name)
      assert.deepEqual(after.plan.operations, [], name)
      assert.equal(after.hashing.hashedFiles, rehashed, `${name}: only files whose records were lost are hashed again`)
      assert.deepEqual((await plan(s)).notices, [], `${name}: the corrupt file was replaced`)
    }
  })

  test('temporaries of killed cache writes are swept once old; recent ones may be another process writing', async (t) => {
    const s = await scene(t)
    await plan(s)
    const dir = dirname(hashCacheFile(s.cache, (await resolveRoots(s.source, s.replica)).source))
    const [old, recent] = [join(dir, '.treesync-00000000000000aa.tmp'), join(dir, '.treesync-00000000000000bb.tmp')]
    await writeFile(old, 'half a cache')
    await writeFile(recent, 'being written')
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000)
    await utimes(old, twoHoursAgo, twoHoursAgo)
    await plan(s)
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), ['.treesync-00000000000000bb.tmp'])
  })

  test('a cache recording a wrong hash for an unchanged identity is the only way to fool it, and entries must match exactly', async (t) => {
    const s = await scene(t)
    await plan(s)
    const file = hashCacheFile(s.cache, (await resolveRoots(s.source, s.replica)).source)
    const text = await readFile(file, 'utf8')
    // Change one identity field (the size) of a record: the record must no longer be used.
    const edited = text.replace(/(\na\.txt\t)4\t/, '$15\t')
    assert.notEqual(edited, text)
    await writeFile(file, edited)
    const after = await plan(s)
    assert.ok(after.hashing.hashedFiles >= 1)
    assert.deepEqual(after.plan.operations, [])
  })

  test('results never depend on the cache: random trees plan the same warm, cold and without it', async (t) => {
    const root = await tempDir(t)
    for (let seed = 1; seed <= 15; seed++) {
      const random = seededRandom(seed)
      const sourceSpecs = randomTree(random, 20)
      const s = {source: join(root, `${seed}`, 's'), replica: join(root, `${seed}`, 'r'), cache: join(root, `${seed}`, 'c')}
      await buildTree(s.source, sourceSpecs)
      await buildTree(s.replica, mutateTree(random, sourceSpecs))
      await mkdir(s.cache)
      const without = await plan(s, false)
      const cold = await plan(s)
      const warm = await plan(s)
      assert.deepEqual(cold.plan.operations, without.plan.operations, `seed ${seed}: cold`)
      assert.deepEqual(warm.plan.operations, without.plan.operations, `seed ${seed}: warm`)
    }
  })

  test('an injected in-memory cache serves the scan: a warm plan hashes nothing, and nothing is written to disk', async (t) => {
    const s = await scene(t)
    const roots = await resolveRoots(s.source, s.replica)
    const caches = {source: new MemoryHashCache(), replica: new MemoryHashCache()}
    const cold = await preparePlan(roots, {compare: 'md5'}, {caches})
    assert.equal(cold.hashing.hashedFiles, 4)
    assert.deepEqual(caches.source.directories().sort(), ['', 'dir'])
    const warm = await preparePlan(roots, {compare: 'md5', inlineEntries: 0}, {caches})
    assert.deepEqual(warm.hashing, {hashedFiles: 0, hashedBytes: 0, cachedFiles: 4})
    assert.deepEqual(warm.plan.operations, cold.plan.operations)
    assert.equal(caches.source.saves, 0, 'the scan records; only the run saves')
    await assert.rejects(readdir(s.cache), {code: 'ENOENT'})
  })

  test('both caches keep the same rules: exact identities, racy records forgotten, forget, and the last write wins', async (t) => {
    const dir = await tempDir(t)
    const file = await FileHashCache.open(dir, '/some/root')
    const caches: Array<[string, HashCache, () => Promise<HashCache>]> = [
      ['memory', new MemoryHashCache(), async () => caches[0]![1]],
      ['file', file, () => FileHashCache.open(dir, '/some/root')],
    ]
    const identity = {size: 4, mtimeNs: 1_000_000_000n, ctimeNs: 1_000_000_000n, ino: 7n}
    const later = 10_000_000_000n
    for (const [name, cache, reopen] of caches) {
      cache.record('d/a', {...identity, md5: 'a'.repeat(32)}, later)
      cache.record('d/racy', {...identity, md5: 'b'.repeat(32)}, identity.mtimeNs + 1n)
      cache.record('d/gone', {...identity, md5: 'c'.repeat(32)}, later)
      cache.forget('d/gone')
      cache.record('top', {...identity, md5: 'd'.repeat(32)}, later)
      cache.record('top', {...identity, ino: 8n, md5: 'e'.repeat(32)}, later)
      await cache.save()
      const saved = await reopen()
      assert.equal(saved.lookup('d/a', identity), 'a'.repeat(32), name)
      assert.equal(saved.lookup('d/a', {...identity, ctimeNs: identity.ctimeNs + 1n}), undefined, `${name}: ctime differs`)
      assert.equal(saved.lookup('d/a', {...identity, size: 5}), undefined, `${name}: size differs`)
      assert.equal(saved.lookup('d/racy', identity), undefined, `${name}: racy`)
      assert.equal(saved.lookup('d/gone', identity), undefined, `${name}: forgotten`)
      assert.equal(saved.lookup('top', identity), undefined, `${name}: replaced`)
      assert.equal(saved.lookup('top', {...identity, ino: 8n}), 'e'.repeat(32), name)
      saved.close()
    }
  })

  test('records made after a scan that did not see their directory are kept, even when equal to the stored ones (a replica removed, then written again the same)', async (t) => {
    const dir = await tempDir(t)
    const record = {size: 4, mtimeNs: 1_000_000_000n, ctimeNs: 0n, ino: 42n, md5: '0'.repeat(32)}
    const later = BigInt(Date.now()) * 1_000_000n
    const first = await FileHashCache.open(dir, 'sftp://host/replica')
    first.record('d/f', record, later)
    await first.save()
    // The replica was removed: the next scan finds no directory d; apply writes d/f again, the same.
    const second = await FileHashCache.open(dir, 'sftp://host/replica')
    second.keepDirectories([''])
    second.record('d/f', record, later)
    await second.save()
    const third = await FileHashCache.open(dir, 'sftp://host/replica')
    assert.equal(third.lookup('d/f', record), record.md5)
    third.close()
  })
})
