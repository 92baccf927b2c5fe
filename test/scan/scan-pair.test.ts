import assert from 'node:assert/strict'
import {mkdir, readFile, rm, stat, truncate, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, test} from 'node:test'

import {
  MemoryHashCache,
  planSync,
  preparePlan,
  resolveRoots,
  saveRunCaches,
  TreesyncError,
  type Manifest,
  type Plan,
  type PlanRun,
  type SyncSettings,
} from '../../src/index.js'
import {hashFileSync, ReadBuffers} from '../../src/backend/local/hash-sync.js'
import {hashCacheFile, openHashCaches} from '../../src/cache/file-hash-cache.js'
import {scanTree} from '../../src/scan/scan-tree.js'
import {replicaFilesToHash} from '../../src/plan/equality.js'
import {mutateTree, randomTree, seededRandom} from '../helpers/random-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, FIXED_MTIME_MS} from '../helpers/tree-builder.js'

/** Longer than the racy window, so the cache trusts what was just written. */
const SETTLE_MS = 150
const CREATED_AT = '2026-01-01T00:00:00.000Z'

/**
 * The plan from full manifests, the plain way: scan each tree entirely, hash every source
 * file and the replica files a decision needs, plan. What the side-by-side scan must equal.
 */
async function referencePlan(source: string, replica: string): Promise<Plan> {
  const roots = await resolveRoots(source, replica)
  const [s, r] = [await scanTree(roots.source), await scanTree(roots.replica, {allowMissing: true})]
  const needed = replicaFilesToHash(s, r)
  const buffers = new ReadBuffers()
  const hash = (m: Manifest, pick: (path: string) => boolean) => {
    for (const e of m.entries) {
      if (e.type !== 'file' || !pick(e.path)) continue
      Object.assign(e, hashFileSync(join(m.root, e.path), buffers))
    }
  }
  hash(s, () => true)
  hash(r, (path) => needed(r.entries.find((e) => e.path === path)!))
  return planSync(s, r, {compare: 'md5', createdAt: CREATED_AT})
}

/** One run that plans: with the file caches in `cacheDir` when given (saved at its end, as a run does). */
async function plan(source: string, replica: string, options: Partial<SyncSettings> & Pick<PlanRun, 'caches' | 'signal'> = {}) {
  const {caches: given, signal, ...settings} = options
  const roots = await resolveRoots(source, replica)
  const caches = settings.cacheDir === undefined ? given : await openHashCaches(settings.cacheDir, roots)
  const prepared = await preparePlan(roots, {compare: 'md5', ...settings}, {caches, signal, now: () => new Date(CREATED_AT)})
  await saveRunCaches(caches, assert.fail)
  return {...prepared, roots}
}

describe('scanning both trees side by side', () => {
  test('leaving out equal pairs never changes the plan: random trees, inline and on scanner threads, cold and warm', async (t) => {
    const root = await tempDir(t)
    for (let seed = 1; seed <= 24; seed++) {
      const random = seededRandom(seed * 7919)
      const sourceSpecs = randomTree(random, 40)
      const dir = join(root, `${seed}`)
      const [source, replica, cache] = [join(dir, 's'), join(dir, 'r'), join(dir, 'c')]
      await buildTree(source, sourceSpecs)
      await buildTree(replica, seed % 3 === 0 ? randomTree(random, 40) : mutateTree(random, sourceSpecs))
      await mkdir(cache)
      await sleep(seed === 1 ? SETTLE_MS : 0)
      const expected = await referencePlan(source, replica)
      const memory = {source: new MemoryHashCache(), replica: new MemoryHashCache()}
      const runs = {
        inline: await plan(source, replica),
        memoryCold: await plan(source, replica, {inlineEntries: 0, caches: memory}),
        memoryWarm: await plan(source, replica, {caches: memory}),
        threads: await plan(source, replica, {inlineEntries: 0}),
        threadsCold: await plan(source, replica, {inlineEntries: 0, cacheDir: cache}),
        threadsWarm: await plan(source, replica, {inlineEntries: 0, cacheDir: cache}),
        inlineWarm: await plan(source, replica, {cacheDir: cache}),
        oneThread: await plan(source, replica, {inlineEntries: 0, concurrency: 1}),
      }
      for (const [name, run] of Object.entries(runs)) {
        assert.deepEqual(run.plan, expected, `seed ${seed}: ${name}`)
      }
    }
  })

  test('pairs already equal are counted, not listed, and still count for the delete-all guard', async (t) => {
    const root = await tempDir(t)
    const [source, replica] = [join(root, 's'), join(root, 'r')]
    const same = [
      {path: 'a.txt', type: 'file' as const, content: 'same'},
      {path: 'd/b.txt', type: 'file' as const, content: 'same too'},
      {path: 'link', type: 'symlink' as const, target: 'a.txt'},
    ]
    await buildTree(source, same)
    await buildTree(replica, [...same, {path: 'extra', type: 'file', content: 'x'}])
    for (const inlineEntries of [undefined, 0]) {
      const prepared = await plan(source, replica, {inlineEntries})
      assert.equal(prepared.replica.matched, 3)
      assert.deepEqual(
        prepared.replica.entries.map((e) => e.path),
        ['d', 'extra'],
        'only directories and entries needing an operation are listed',
      )
      assert.equal(prepared.plan.entries.replica, 5, 'every replica entry counts: d, d/b.txt, a.txt, link, extra')
      assert.deepEqual(prepared.plan.operations.map((op) => `${op.op} ${op.path}`), ['delete extra'])
    }
  })

  test('large files and possible moves are hashed after the walk, pairs side by side', async (t) => {
    const root = await tempDir(t)
    const [source, replica] = [join(root, 's'), join(root, 'r')]
    const big = Buffer.alloc(1536 * 1024, 1)
    const changed = Buffer.from(big)
    changed[changed.length - 1] = 2
    await buildTree(source, [
      {path: 'big/same.bin', type: 'file', content: big},
      {path: 'big/changed.bin', type: 'file', content: big},
      {path: 'new/moved.bin', type: 'file', content: changed},
    ])
    await buildTree(replica, [
      {path: 'big/same.bin', type: 'file', content: big},
      {path: 'big/changed.bin', type: 'file', content: changed, mtimeMs: FIXED_MTIME_MS + 1000},
      {path: 'old/moved.bin', type: 'file', content: changed},
    ])
    for (const inlineEntries of [undefined, 0]) {
      const prepared = await plan(source, replica, {inlineEntries})
      assert.deepEqual(prepared.plan, await referencePlan(source, replica))
      assert.deepEqual(
        prepared.plan.operations.filter((op) => op.op !== 'mkdir' && op.op !== 'rmdir').map((op) => `${op.op} ${op.path} ${op.reason}`),
        ['rename new/moved.bin moved', 'update big/changed.bin content'],
      )
      assert.deepEqual(prepared.hashing, {hashedFiles: 6, hashedBytes: 6 * big.length, cachedFiles: 0})
    }
  })

  test('a directory with more to hash than one job takes is finished after the walk, with the same plan', async (t) => {
    const root = await tempDir(t)
    const [source, replica] = [join(root, 's'), join(root, 'r')]
    const files = Array.from({length: 40}, (_, i) => ({path: `d/f${i}`, type: 'file' as const, content: Buffer.alloc(600 * 1024, i)}))
    await buildTree(source, files)
    const edited = Buffer.alloc(600 * 1024, 7)
    edited[1000] = 99
    await buildTree(replica, files.map((f) => (f.path === 'd/f7' ? {...f, content: edited, mtimeMs: FIXED_MTIME_MS + 1} : f)))
    for (const inlineEntries of [undefined, 0]) {
      const prepared = await plan(source, replica, {inlineEntries})
      assert.deepEqual(prepared.plan, await referencePlan(source, replica))
      assert.deepEqual(prepared.plan.operations.map((op) => `${op.op} ${op.path} ${op.reason}`), ['update d/f7 content'])
      assert.equal(prepared.hashing.hashedFiles, 80)
    }
  })

  test('a warm cache file is left as it is; a change rewrites it', async (t) => {
    const root = await tempDir(t)
    const [source, replica, cache] = [join(root, 's'), join(root, 'r'), join(root, 'c')]
    const specs = [
      {path: 'a.txt', type: 'file' as const, content: 'aaaa'},
      {path: 'd/b.txt', type: 'file' as const, content: 'bbbb'},
    ]
    await buildTree(source, specs)
    await buildTree(replica, specs)
    await sleep(SETTLE_MS)
    const first = await plan(source, replica, {cacheDir: cache})
    assert.equal(first.hashing.hashedFiles, 4)
    const file = hashCacheFile(cache, first.roots.replica)
    const before = await stat(file)
    const warm = await plan(source, replica, {cacheDir: cache, inlineEntries: 0})
    assert.deepEqual(warm.hashing, {hashedFiles: 0, hashedBytes: 0, cachedFiles: 4})
    const after = await stat(file)
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'not rewritten')
    await buildTree(replica, [{path: 'd/c.txt', type: 'file', content: 'extra'}])
    await plan(source, replica, {cacheDir: cache})
    await buildTree(source, [{path: 'd/c.txt', type: 'file', content: 'extra'}])
    await sleep(SETTLE_MS)
    await plan(source, replica, {cacheDir: cache})
    assert.notEqual((await stat(file)).ino, before.ino, 'rewritten once the new file is hashed')
    assert.match(await readFile(file, 'utf8'), /\n\/d\n/)
    await rm(join(source, 'd'), {recursive: true})
    await rm(join(replica, 'd'), {recursive: true})
    await plan(source, replica, {cacheDir: cache})
    const records = await readFile(file, 'utf8')
    assert.doesNotMatch(records, /\n\/d\n/, 'the records of a vanished directory are dropped')
    assert.match(records, /\na\.txt\t/)
  })

  test('aborting stops a scanner thread in the middle of a large file', {timeout: 60_000}, async (t) => {
    const root = await tempDir(t)
    await buildTree(join(root, 's'), [{path: 'd/small', type: 'file', content: 'x'}])
    // 64 GiB of holes: hashing it through would take minutes, so finishing at all means it stopped.
    await writeFile(join(root, 's', 'd', 'sparse'), '')
    await truncate(join(root, 's', 'd', 'sparse'), 64 * 1024 ** 3)
    const controller = new AbortController()
    const planning = plan(join(root, 's'), join(root, 'r'), {inlineEntries: 0, signal: controller.signal})
    setTimeout(() => controller.abort(), 300)
    await assert.rejects(planning, (error: unknown) => error instanceof TreesyncError && error.code === 'INTERRUPTED')
  })

  test('an aborted scan stops with an INTERRUPTED error, inline and on threads', async (t) => {
    const root = await tempDir(t)
    await buildTree(join(root, 's'), [{path: 'a/b', type: 'file', content: 'x'}])
    for (const inlineEntries of [undefined, 0]) {
      await assert.rejects(
        plan(join(root, 's'), join(root, 'r'), {inlineEntries, signal: AbortSignal.abort()}),
        (error: unknown) => error instanceof TreesyncError && error.code === 'INTERRUPTED',
      )
    }
  })
})
