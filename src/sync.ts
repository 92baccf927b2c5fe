import type {RootCapabilities} from './backend/capabilities.js'
import type {RemoteConnections} from './backend/remote-connections.js'
import {localCapabilities} from './backend/local/local-capabilities.js'
import {openHashCaches} from './cache/file-hash-cache.js'
import type {TreeHashCaches} from './cache/hash-cache.js'
import {describeFsError} from './errors.js'
import type {Logger} from './log/logger.js'
import {comparisonFor} from './plan/equality.js'
import type {Plan} from './plan/plan.js'
import {planSync} from './plan/plan-sync.js'
import {formatBytes} from './render/format-bytes.js'
import {countOf} from './util/count-of.js'
import type {Roots} from './roots.js'
import {internalRelativePaths} from './scan/internal-paths.js'
import {scanPair, type PairScanProgress, type ScannedPair} from './scan/scan-pair.js'
import {scanBackendPair} from './scan/scan-backend-pair.js'
import {openRootBackends} from './backend/open-roots.js'
import {parseRootSpec} from './backend/root-spec.js'
import type {HashCounts} from './scan/directory-pair-scanner.js'
import {scanSettingsOf, type SyncSettings} from './settings.js'
import type {Manifest} from './tree/entry.js'

/** Progress while preparing a plan, tagged with the tree it is about. */
export type PrepareProgress = PairScanProgress

/** What one run brings to planning besides the settings: its caches, its progress display, its stop signal. */
export interface PlanRun {
  /**
   * Each tree's hash cache (none: every file is hashed), used under `md5` only. The scan
   * records into them; the run saves them once, at its end (see `saveRunCaches`).
   */
  caches?: TreeHashCaches
  onProgress?: (progress: PrepareProgress) => void
  /** Aborting stops scanning and hashing early with an INTERRUPTED error. */
  signal?: AbortSignal
  /** The plan's creation time (default: now). */
  now?: () => Date
  /** What each root can keep (default: probed, see `rootCapabilities`). */
  capabilities?: RootCapabilities
  /** The run's connections to remote roots (default: opened for this plan and closed after it). */
  remotes?: RemoteConnections
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
 * hash can change a decision. treesync's own files inside the roots are left out.
 */
export async function preparePlan(roots: Roots, settings: SyncSettings, run: PlanRun = {}): Promise<PreparedPlan> {
  const caches = settings.compare === 'md5' ? run.caches : undefined
  const notices = [caches?.source.problem, caches?.replica.problem].filter((p): p is string => p !== undefined)
  const ownPaths = await internalRelativePaths(roots, settings.ownFiles ?? [])
  const {scanned, capabilities} = await scanRoots(roots, settings, ownPaths, {...run, caches})
  for (const problem of scanned.cacheProblems) if (!notices.includes(problem)) notices.push(problem)
  const createdAt = (run.now?.() ?? new Date()).toISOString()
  const plan = planSync(scanned.source, scanned.replica, {compare: settings.compare, createdAt, capabilities, modifyWindowSeconds: settings.modifyWindowSeconds})
  return {plan, source: scanned.source, replica: scanned.replica, hashing: scanned.hashing, notices}
}

/**
 * Scans both roots: two local folders by the threaded local scan, any other pair through
 * their backends (a remote root over the run's connection). Each root's capabilities
 * decide how entries are compared.
 */
async function scanRoots(
  roots: Roots,
  settings: SyncSettings,
  ownPaths: string[],
  run: PlanRun,
): Promise<{scanned: ScannedPair; capabilities: RootCapabilities}> {
  const scanRun = {caches: run.caches, onProgress: run.onProgress, signal: run.signal}
  const settingsFor = (capabilities: RootCapabilities) =>
    scanSettingsOf(settings, ownPaths, comparisonFor(settings.compare, capabilities, settings.modifyWindowSeconds))
  if (isLocalRoot(roots.source) && isLocalRoot(roots.replica)) {
    const capabilities = run.capabilities ?? (await rootCapabilities(roots, settings))
    return {scanned: await scanPair(roots, settingsFor(capabilities), scanRun), capabilities}
  }
  const probe = (root: string) => (isLocalRoot(root) ? localCapabilities(root, {cacheDir: settings.cacheDir}) : undefined)
  const [source, replica] = await Promise.all([probe(roots.source), probe(roots.replica)])
  const backends = await openRootBackends(roots, {remotes: run.remotes, localSourceCapabilities: source, localReplica: {capabilities: replica}})
  try {
    const capabilities = run.capabilities ?? {source: backends.source.capabilities, replica: backends.replica.capabilities}
    return {scanned: await scanBackendPair(backends, settingsFor(capabilities), scanRun), capabilities}
  } finally {
    await backends.close()
  }
}

/**
 * What two local roots can keep: probed once and remembered in the cache directory
 * (probed every run without one). A replica that does not exist yet is probed in the
 * nearest folder that does, where apply will create it.
 */
export async function rootCapabilities(roots: Roots, settings: Pick<SyncSettings, 'cacheDir'>): Promise<RootCapabilities> {
  const [source, replica] = await Promise.all([
    localCapabilities(roots.source, {cacheDir: settings.cacheDir}),
    localCapabilities(roots.replica, {cacheDir: settings.cacheDir}),
  ])
  return {source, replica}
}

function isLocalRoot(root: string): boolean {
  return parseRootSpec(root).kind === 'local'
}

/**
 * The hash caches of a run: both trees' file caches under `--compare md5` with a cache
 * directory, else none (nothing would read them).
 */
export async function openRunCaches(roots: Roots, settings: SyncSettings): Promise<TreeHashCaches | undefined> {
  return settings.compare === 'md5' && settings.cacheDir !== undefined ? openHashCaches(settings.cacheDir, roots) : undefined
}

/** Saves a run's caches, once, at its end: a cache that cannot be written is a warning, never a failure. */
export async function saveRunCaches(caches: TreeHashCaches | undefined, warn: (message: string) => void): Promise<void> {
  for (const cache of caches ? [caches.source, caches.replica] : []) {
    await cache.save().catch((error: unknown) => warn(`cannot write hash cache ${cache.name}: ${describeFsError(error)}`))
  }
}

/** A run that logs: where its lines go, and whether an idle plan stays quiet. */
export interface LoggedPlanRun extends PlanRun {
  logger: Logger
  /** Log the "hashed N files" line only when something was read (watch: quiet idle cycles). */
  quietWhenNothingHashed?: boolean
}

/**
 * What `plan`, `apply` and every watch cycle do before deciding anything: prepare the
 * plan, and log the cache notices, the hashing done and each plan warning.
 */
export async function preparePlanLogged(roots: Roots, settings: SyncSettings, run: LoggedPlanRun): Promise<PreparedPlan> {
  const {logger, quietWhenNothingHashed} = run
  const prepared = await preparePlan(roots, settings, run)
  for (const notice of prepared.notices) logger.warn(notice)
  const h = prepared.hashing
  if (h.hashedFiles > 0 || !quietWhenNothingHashed) {
    logger.info(`hashed ${countOf(h.hashedFiles, 'file')} (${formatBytes(h.hashedBytes)}), ${h.cachedFiles} from the hash cache`)
  }
  for (const w of prepared.plan.warnings) logger.log(w.level === 'error' ? 'ERROR' : 'WARN', `${w.path}: ${w.message}`)
  return prepared
}
