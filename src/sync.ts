import {openHashCaches} from './cache/file-hash-cache.js'
import type {TreeHashCaches} from './cache/hash-cache.js'
import {describeFsError} from './errors.js'
import type {ExcludeRules} from './filter/exclude-filter.js'
import type {Logger} from './log/logger.js'
import type {CompareMode, Plan} from './plan/plan.js'
import {planSync} from './plan/plan-sync.js'
import {formatBytes} from './render/format-bytes.js'
import {countOf} from './util/count-of.js'
import type {Roots} from './roots.js'
import {internalRelativePaths} from './scan/internal-paths.js'
import {scanTrees, type TreeScanProgress} from './scan/scan-trees.js'
import type {HashCounts} from './scan/pair-scan.js'
import type {Manifest} from './tree/entry.js'

/** Progress while preparing a plan, tagged with the tree it is about. */
export type PrepareProgress = TreeScanProgress

export interface PrepareOptions {
  compare: CompareMode
  /**
   * Each tree's hash cache (none: every file is hashed), used under `md5` only. The scan
   * records into them; the caller saves them once, at the end of its run.
   */
  caches?: TreeHashCaches
  exclude?: ExcludeRules
  /** Most threads scanning, the calling one included (default: one per core). */
  concurrency?: number
  onProgress?: (progress: PrepareProgress) => void
  /** Aborting stops scanning and hashing early with an INTERRUPTED error. */
  signal?: AbortSignal
  now?: () => Date
  /** Entries scanned on the calling thread before scanner threads start (tests lower it). */
  inlineEntries?: number
}

/** How much hashing a plan took: files read, bytes read, and hashes found in the cache. */
export type HashingStats = HashCounts

/** A plan together with the manifests it was computed from. */
export interface PreparedPlan {
  plan: Plan
  /** The manifests, without the entries already equal on both sides (see `Manifest.matched`). */
  source: Manifest
  replica: Manifest
  hashing: HashingStats
  /** Cache problems worth a warning (a corrupt cache, or a damaged part of one). */
  notices: string[]
}

/**
 * Scans both trees, hashes what the comparison needs, and plans. Under `md5`, every
 * source file is hashed (plans record what they copy) but only the replica files whose
 * hash can change a decision.
 */
export async function preparePlan(roots: Roots, options: PrepareOptions): Promise<PreparedPlan> {
  const caches = options.compare === 'md5' ? options.caches : undefined
  const notices = [caches?.source.problem, caches?.replica.problem].filter((p): p is string => p !== undefined)
  const scanned = await scanTrees(roots, {
    compare: options.compare,
    exclude: options.exclude,
    caches,
    concurrency: options.concurrency,
    inlineEntries: options.inlineEntries,
    onProgress: options.onProgress,
    signal: options.signal,
  })
  for (const problem of scanned.cacheProblems) if (!notices.includes(problem)) notices.push(problem)
  const createdAt = (options.now?.() ?? new Date()).toISOString()
  const plan = planSync(scanned.source, scanned.replica, {compare: options.compare, createdAt})
  return {plan, source: scanned.source, replica: scanned.replica, hashing: scanned.hashing, notices}
}

/**
 * The hash caches of a run: both trees' file caches under `--compare md5` with a cache
 * directory, else none (nothing would read them).
 */
export async function openRunCaches(roots: Roots, compare: CompareMode, cacheDir: string | undefined): Promise<TreeHashCaches | undefined> {
  return compare === 'md5' && cacheDir !== undefined ? openHashCaches(cacheDir, roots) : undefined
}

/** Saves a run's caches, once, at its end: a cache that cannot be written is a warning, never a failure. */
export async function saveRunCaches(caches: TreeHashCaches | undefined, warn: (message: string) => void): Promise<void> {
  for (const cache of caches ? [caches.source, caches.replica] : []) {
    await cache.save().catch((error: unknown) => warn(`cannot write hash cache ${cache.name}: ${describeFsError(error)}`))
  }
}

export interface LoggedPrepareOptions extends Omit<PrepareOptions, 'exclude'> {
  /** The user's exclude patterns (gitignore syntax). */
  excludePatterns: readonly string[]
  /** treesync's own files (log file, plan file, cache, backups): excluded wherever they are. */
  ownFiles: readonly string[]
  logger: Logger
  /** Log the "hashed N files" line only when something was read (watch: quiet idle cycles). */
  quietWhenNothingHashed?: boolean
}

/**
 * What `plan`, `apply` and every watch cycle do before deciding anything: exclude
 * treesync's own files, prepare the plan, and log the cache notices, the hashing done
 * and each plan warning.
 */
export async function preparePlanLogged(roots: Roots, options: LoggedPrepareOptions): Promise<PreparedPlan> {
  const {excludePatterns, ownFiles, logger, quietWhenNothingHashed, ...prepare} = options
  const internal = await internalRelativePaths(roots, ownFiles)
  const prepared = await preparePlan(roots, {...prepare, exclude: {patterns: excludePatterns, paths: internal}})
  for (const notice of prepared.notices) logger.warn(notice)
  const h = prepared.hashing
  if (h.hashedFiles > 0 || !quietWhenNothingHashed) {
    logger.info(`hashed ${countOf(h.hashedFiles, 'file')} (${formatBytes(h.hashedBytes)}), ${h.cachedFiles} from the hash cache`)
  }
  for (const w of prepared.plan.warnings) logger.log(w.level === 'error' ? 'ERROR' : 'WARN', `${w.path}: ${w.message}`)
  return prepared
}
