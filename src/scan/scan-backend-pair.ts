import type {Backend} from '../backend/backend.js'
import type {HashCache, TreeHashCaches} from '../cache/hash-cache.js'
import type {PackedHashes} from '../cache/packed-hashes.js'
import {wallClockNs} from '../cache/wall-clock.js'
import {describeError, TreesyncError} from '../errors.js'
import {compileExcludes} from '../filter/exclude-filter.js'
import {replicaFilesToHash} from '../plan/equality.js'
import type {ScanSettings} from '../settings.js'
import type {Entry, Manifest} from '../tree/entry.js'
import {mergeByPath} from '../tree/merge-by-path.js'
import {comparePaths} from '../tree/paths.js'
import {Limiter} from '../util/limiter.js'
import {isRacyOnBackend} from './backend-hash-identity.js'
import {hashEntry, scanBackendDirectory, type BackendDirResult, type BackendScanContext, type DirToScan} from './backend-directory-pair.js'
import {hasIdentity, type Side} from './directory-pair-scanner.js'
import type {PairScanRun, ScannedPair} from './scan-pair.js'
import {sortManifest} from './scan-tree.js'

/**
 * Requests in flight per kind (listings, hashes) when the settings give no concurrency.
 * A remote listing is a network round trip: 221 SFTP directories took 238 ms one at a
 * time and 68 ms with 16 in flight.
 */
export const DEFAULT_REQUESTS_IN_FLIGHT = 16

const SIDES = ['source', 'replica'] as const

/**
 * Scans two trees through their Backends (local, SFTP, S3), directory pair by directory
 * pair, as `scanPair` scans two local folders, with the same result: the same entries
 * and exclusions, pairs already equal left out and counted in `matched`, and under
 * `--compare md5` every source file hashed but only the replica files a decision needs
 * (`replicaFilesToHash`), hashes that come with a listing (`freeHashes`) or that the
 * caches vouch for not read again. Listings and hashes run with up to
 * `settings.concurrency` (default `DEFAULT_REQUESTS_IN_FLIGHT`) requests of each kind in
 * flight. The replica root may be missing (`stat('')` undefined: `exists: false`); the
 * source root must be a readable directory (BAD_INPUT otherwise). Aborting `run.signal`
 * ends the scan with an INTERRUPTED error; requests in flight are left to finish, unread.
 * `settings.inlineEntries` is not used: there are no scanner threads to start.
 */
export async function scanBackendPair(backends: Record<Side, Backend>, settings: ScanSettings, run: PairScanRun = {}): Promise<ScannedPair> {
  const caches = settings.comparison.compare === 'md5' ? run.caches : undefined
  const scan = new BackendPairScan(backends, settings, {...run, caches})
  for (const backend of Object.values(backends)) backend.willListTree?.()
  const replicaExists = (await scan.interruptible(Promise.all([rootExists(backends.source, false), rootExists(backends.replica, true)])))[1]
  scan.manifests.replica.exists = replicaExists
  await scan.interruptible(scan.walk({dir: '', sides: {source: true, replica: replicaExists}, entries: {}}))
  for (const manifest of Object.values(scan.manifests)) sortManifest(manifest)
  if (settings.comparison.compare === 'md5') await scan.interruptible(scan.hashRemaining())
  if (caches) scan.updateCaches(caches)
  return {...scan.manifests, hashing: scan.context.hashing, cacheProblems: [...scan.context.cacheProblems]}
}

/**
 * Whether a root is there as a directory: false for a missing root that may be missing
 * (a replica yet to be created); a one-line BAD_INPUT error for anything else wrong.
 */
async function rootExists(backend: Backend, mayBeMissing: boolean): Promise<boolean> {
  let entry
  try {
    entry = await backend.stat('')
  } catch (error) {
    if (error instanceof TreesyncError) throw error
    throw new TreesyncError('BAD_INPUT', `cannot read ${backend.root}: ${describeError(error).message}`, backend.root)
  }
  if (entry === undefined && mayBeMissing) return false
  if (entry === undefined) throw new TreesyncError('BAD_INPUT', `cannot read ${backend.root}: no such file or directory`, backend.root)
  if (entry.type !== 'dir') throw new TreesyncError('BAD_INPUT', `${backend.root} is not a directory`, backend.root)
  return true
}

/** One scan over two Backends in progress: the manifests it builds and what it found for the caches. */
class BackendPairScan {
  readonly manifests: Record<Side, Manifest>
  readonly context: BackendScanContext
  /** Directories listed, per side: their cache records are the ones to keep. */
  private readonly listedDirs: Record<Side, string[]> = {source: [], replica: []}
  private readonly changedHashes: Record<Side, Map<string, PackedHashes>> = {source: new Map(), replica: new Map()}
  /** Files hashed after the walk, to record in the caches. */
  private readonly lateHashes: Array<[Side, Entry]> = []
  private readonly listedEntries: Record<Side, number> = {source: 0, replica: 0}
  /** Set once the scan is aborted or has failed: requests still queued then fail at once. */
  private stopped = false

  constructor(
    private readonly backends: Record<Side, Backend>,
    settings: ScanSettings,
    private readonly run: PairScanRun,
  ) {
    const empty = (root: string): Manifest => ({root, exists: true, entries: [], warnings: [], temporaries: [], excluded: [], matched: 0})
    this.manifests = {source: empty(backends.source.root), replica: empty(backends.replica.root)}
    const inFlight = settings.concurrency ?? DEFAULT_REQUESTS_IN_FLIGHT
    this.context = {
      backends,
      settings,
      exclude: compileExcludes(settings.exclude),
      caches: run.caches,
      scanStartNs: wallClockNs(),
      // Depth first, like the local walk: fewer directories listed and not yet settled.
      lists: new Limiter(inFlight, 'lifo'),
      hashes: new Limiter(inFlight),
      hashing: {hashedFiles: 0, hashedBytes: 0, cachedFiles: 0},
      cacheProblems: new Set(),
      checkStopped: () => {
        if (this.stopped || this.run.signal?.aborted) throw interrupted()
      },
      onListed: (side, entries) => {
        this.listedEntries[side] += entries
        this.run.onProgress?.({phase: 'scan', side, root: this.manifests[side].root, entries: this.listedEntries[side]})
      },
    }
  }

  /**
   * Settles like `work`, or rejects with INTERRUPTED as soon as the signal aborts (what is
   * in flight is left to finish; nothing waits for it). Either failure stops the scan.
   */
  interruptible<T>(work: Promise<T>): Promise<T> {
    const signal = this.run.signal
    return new Promise<T>((resolve, reject) => {
      const stop = (error: unknown): void => {
        this.stopped = true
        reject(error)
      }
      const abort = (): void => stop(interrupted())
      // Attached first, even when already aborted: a failure of `work` is then never unhandled.
      work.then(resolve, stop).finally(() => signal?.removeEventListener('abort', abort))
      if (signal?.aborted) abort()
      else signal?.addEventListener('abort', abort, {once: true})
    })
  }

  /** Walks every directory pair from `root`, many at a time (the limiters bound the requests). */
  walk(root: DirToScan): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending = 0
      const visit = (job: DirToScan): void => {
        pending++
        scanBackendDirectory(this.context, job, (subdirs) => {
          if (!this.stopped) for (const sub of subdirs) visit(sub)
        })
          .then((result) => {
            if (this.stopped) return
            this.take(result)
            if (--pending === 0) resolve()
          })
          .catch(reject)
      }
      visit(root)
    })
  }

  /** Adds one directory pair's result to the manifests. */
  private take(result: BackendDirResult): void {
    for (const side of SIDES) {
      const part = result.sides[side]
      if (!part) continue
      const manifest = this.manifests[side]
      for (const entry of part.entries) manifest.entries.push(entry)
      for (const warning of part.warnings) manifest.warnings.push(warning)
      for (const path of part.temporaries) manifest.temporaries.push(path)
      for (const path of part.excluded) manifest.excluded.push(path)
      if (part.listingError === undefined) this.listedDirs[side].push(result.dir)
      const hashes = result.hashes[side]
      if (hashes !== undefined) this.changedHashes[side].set(result.dir, hashes)
    }
    this.manifests.source.matched! += result.matched
    this.manifests.replica.matched! += result.matched
  }

  /**
   * Hashes what the walk left: large files, and replica files that may be the source of
   * a move, which only the whole walk can tell. Reports progress per path hashed.
   */
  async hashRemaining(): Promise<void> {
    const {source, replica} = this.manifests
    const needed = replicaFilesToHash(source, replica, this.context.settings.comparison)
    const wants = (e: Entry | undefined): e is Entry => e?.type === 'file' && !e.unreadable && e.md5 === undefined
    const tasks: Array<Partial<Record<Side, Entry>>> = []
    mergeByPath(source.entries, replica.entries, (src, rep) => {
      const task: Partial<Record<Side, Entry>> = {}
      if (wants(src)) task.source = src
      if (wants(rep) && needed(rep)) task.replica = rep
      if (task.source || task.replica) tasks.push(task)
    })
    if (tasks.length === 0) return
    const hashing = this.context.hashing
    const progress = {root: source.root, hashed: 0, total: tasks.length, bytes: 0, cached: hashing.cachedFiles}
    await Promise.all(
      tasks.map(async (task) => {
        await Promise.all(SIDES.filter((side) => task[side]).map((side) => this.hashLate(side, task[side]!)))
        progress.hashed++
        progress.bytes = hashing.hashedBytes
        this.run.onProgress?.({phase: 'hash', side: 'source', ...progress})
      }),
    )
    for (const side of SIDES) this.manifests[side].warnings.sort((a, b) => comparePaths(a.path, b.path))
  }

  private async hashLate(side: Side, entry: Entry): Promise<void> {
    const warning = await hashEntry(this.context, side, entry)
    if (warning) this.manifests[side].warnings.push(warning)
    else this.lateHashes.push([side, entry])
  }

  /**
   * Gives the caches this scan's hashes: the directories whose hashes changed, the
   * directories there are (the others' records are dropped), then what was hashed after
   * the walk, where its mtime can be trusted (see backend-hash-identity.ts).
   */
  updateCaches(caches: TreeHashCaches): void {
    for (const side of SIDES) {
      for (const [dir, hashes] of this.changedHashes[side]) caches[side].storeDirectory(dir, hashes)
      caches[side].keepDirectories(this.listedDirs[side])
    }
    for (const [side, entry] of this.lateHashes) recordHash(caches[side], entry, this.context.scanStartNs, this.backends[side])
  }
}

function recordHash(cache: HashCache, entry: Entry, scanStartNs: bigint, backend: Backend): void {
  if (!hasIdentity(entry) || isRacyOnBackend(entry, scanStartNs, backend.capabilities)) return
  const {size, mtimeNs, ctimeNs, ino, md5} = entry
  cache.record(entry.path, {size, mtimeNs, ctimeNs, ino, md5: md5!}, scanStartNs)
}

function interrupted(): TreesyncError {
  return new TreesyncError('INTERRUPTED', 'interrupted')
}
