import {HashCache} from './cache/hash-cache.js'
import {wallClockNs} from './cache/wall-clock.js'
import {describeFsError} from './errors.js'
import {hashEntries, WORKER_MIN_BYTES, type HashProgress} from './scan/hash-entries.js'
import {HashPool} from './scan/hash-pool.js'
import {scanTree, type ExcludeFn, type ScanProgress} from './scan/scan-tree.js'
import {replicaFilesToHash} from './plan/hash-needs.js'
import type {CompareMode, Plan} from './plan/plan.js'
import {planSync} from './plan/plan-sync.js'
import type {Roots} from './roots.js'
import type {Entry, Manifest} from './tree/entry.js'

/** Progress while preparing a plan, tagged with the tree it is about. */
export type PrepareProgress =
  | ({phase: 'scan'; side: 'source' | 'replica'} & ScanProgress)
  | ({phase: 'hash'; side: 'source' | 'replica'} & HashProgress)

export interface PrepareOptions {
  compare: CompareMode
  /** Where the hash caches live; undefined disables them (`--no-cache`). */
  cacheDir?: string
  exclude?: ExcludeFn
  concurrency?: number
  onProgress?: (progress: PrepareProgress) => void
  /** Aborting stops scanning and hashing early with an INTERRUPTED error. */
  signal?: AbortSignal
  now?: () => Date
}

/** How much hashing a plan took: files read, bytes read, and hashes found in the cache. */
export interface HashingStats {
  hashedFiles: number
  hashedBytes: number
  cachedFiles: number
}

/** A plan together with the manifests it was computed from. */
export interface PreparedPlan {
  plan: Plan
  source: Manifest
  replica: Manifest
  hashing: HashingStats
  /** The replica's hash cache, to record what apply writes (undefined without a cache). */
  replicaCache: HashCache | undefined
  /** Cache problems worth a warning (a corrupt cache, an unwritable cache dir). */
  notices: string[]
}

/**
 * Scans both trees, hashes what the comparison needs, and plans. Under `md5`, every
 * source file is hashed (plans record what they copy) but only the replica files whose
 * hash can change a decision.
 */
export async function preparePlan(roots: Roots, options: PrepareOptions): Promise<PreparedPlan> {
  const scanStartNs = wallClockNs()
  const [sourceCache, replicaCache] = options.cacheDir
    ? await Promise.all([HashCache.load(options.cacheDir, roots.source), HashCache.load(options.cacheDir, roots.replica)])
    : [undefined, undefined]
  const notices = [sourceCache?.problem, replicaCache?.problem].filter((p): p is string => p !== undefined)
  const scanOptions = (side: 'source' | 'replica') => ({
    exclude: options.exclude,
    concurrency: options.concurrency,
    allowMissing: side === 'replica',
    signal: options.signal,
    onProgress: (p: ScanProgress) => options.onProgress?.({phase: 'scan', side, ...p}),
  })
  const [source, replica] = await Promise.all([
    scanTree(roots.source, scanOptions('source')),
    scanTree(roots.replica, scanOptions('replica')),
  ])
  const hashing: HashingStats = {hashedFiles: 0, hashedBytes: 0, cachedFiles: 0}
  if (options.compare === 'md5') {
    // Worker threads pay off only when there is a large file to hash; small files stay here.
    const needed = replicaFilesToHash(source, replica)
    const big = (m: Manifest, pick: (e: Entry) => boolean) => m.entries.some((e) => e.type === 'file' && e.size >= WORKER_MIN_BYTES && pick(e))
    const pool = big(source, () => true) || big(replica, needed) ? new HashPool() : undefined
    const hashOptions = (side: 'source' | 'replica', cache: HashCache | undefined) => ({
      concurrency: options.concurrency,
      cache,
      pool,
      signal: options.signal,
      onProgress: (p: HashProgress) => options.onProgress?.({phase: 'hash', side, ...p}),
    })
    const done = await Promise.all([
      hashEntries(source, () => true, hashOptions('source', sourceCache)),
      hashEntries(replica, needed, hashOptions('replica', replicaCache)),
    ]).finally(() => pool?.close())
    for (const p of done) {
      hashing.hashedFiles += p.hashed - p.cached
      hashing.hashedBytes += p.bytes
      hashing.cachedFiles += p.cached
    }
    await saveCaches([
      [sourceCache, source],
      [replicaCache, replica],
    ], scanStartNs, notices)
  }
  const createdAt = (options.now?.() ?? new Date()).toISOString()
  const plan = planSync(source, replica, {compare: options.compare, createdAt})
  return {plan, source, replica, hashing, replicaCache: options.compare === 'md5' ? replicaCache : undefined, notices}
}

/** Saves each tree's cache with what this scan hashed; a cache that cannot be written only costs time. */
async function saveCaches(pairs: Array<[HashCache | undefined, Manifest]>, scanStartNs: bigint, notices: string[]): Promise<void> {
  for (const [cache, manifest] of pairs) {
    if (!cache) continue
    cache.rememberEntries(manifest.entries, scanStartNs)
    await cache.save().catch((error: unknown) => notices.push(`cannot write hash cache ${cache.file}: ${describeFsError(error)}`))
  }
}
