import {availableParallelism} from 'node:os'

import type {TreeHashCaches} from '../cache/hash-cache.js'
import type {PackedHashes} from '../cache/packed-hashes.js'
import {wallClockNs} from '../cache/wall-clock.js'
import {TreesyncError} from '../errors.js'
import {replicaFilesToHash} from '../plan/equality.js'
import type {ScanSettings} from '../settings.js'
import type {Entry, Manifest} from '../tree/entry.js'
import {mergeByPath} from '../tree/merge-by-path.js'
import {comparePaths} from '../tree/paths.js'
import {
  applyHash,
  hasIdentity,
  INLINE_HASH_MAX_BYTES,
  DirectoryPairScanner,
  type DirJob,
  type DirResult,
  type HashCounts,
  type HashTask,
  type PairScanConfig,
  type Side,
} from './directory-pair-scanner.js'
import {checkRoot} from '../backend/local/list-directory.js'
import {sortManifest} from './scan-tree.js'
import {InlineRunner, Lanes, ScanPool, type ScanRunner} from './scan-pool.js'

/** Progress of a scan, for spinners and logs. */
export interface ScanProgress {
  root: string
  entries: number
}

/** Progress of hashing the files left for after the walk. */
export interface HashProgress {
  root: string
  hashed: number
  total: number
  bytes: number
  cached: number
}

/** Progress of a pair scan, tagged with its phase and the tree it is about. */
export type PairScanProgress =
  | ({phase: 'scan'; side: Side} & ScanProgress)
  | ({phase: 'hash'; side: Side} & HashProgress)

/** What one scan brings besides its settings. */
export interface PairScanRun {
  /** Each tree's hash cache (none: `--no-cache`): read, and given this scan's records, never saved here. */
  caches?: TreeHashCaches
  onProgress?: (progress: PairScanProgress) => void
  /** Stops scanning and hashing early with an INTERRUPTED error. */
  signal?: AbortSignal
}

/** Both trees, with the pairs already equal left out, and what hashing took. */
export interface ScannedPair {
  source: Manifest
  replica: Manifest
  hashing: HashCounts
  /** Parts of the caches that could not be read (they were ignored). */
  cacheProblems: string[]
}

/** A directory to scan, on the sides that have it. */
type DirToScan = Pick<DirJob, 'dir' | 'sides'>

const DEFAULT_INLINE_ENTRIES = 5000
const DIRS_PER_REQUEST = 4
/** Files hashed per request after the walk: enough to amortise a message, small enough to spread. */
const HASH_BATCH_BYTES = 4 * 1024 * 1024
const HASH_BATCH_FILES = 256

/**
 * Scans the source and the replica side by side, one directory pair at a time, on
 * scanner threads once the trees prove big. Under `--compare md5` the hashes that
 * decisions need are filled in (from the cache where it can vouch for them), and each
 * tree's cache gets the records of this scan. Pairs that are already equal are left out of
 * both manifests and only counted (`matched`), so a large tree in sync costs little memory.
 */
export async function scanPair(roots: Record<Side, string>, settings: ScanSettings, run: PairScanRun = {}): Promise<ScannedPair> {
  // The source must be a readable directory; the replica may be missing (apply creates it).
  checkRoot(roots.source, false)
  const replicaExists = checkRoot(roots.replica, true)
  const caches = settings.comparison.compare === 'md5' ? run.caches : undefined
  const config: PairScanConfig = {roots, settings, caching: caches !== undefined, scanStartNs: wallClockNs()}
  const scan = new PairScan(config, {...run, caches}, replicaExists)
  // Scanner threads are stopped at once, even in the middle of a large file.
  const abort = (): void => void scan.abort()
  run.signal?.addEventListener('abort', abort, {once: true})
  try {
    await scan.walk()
    scan.finishManifests()
    if (settings.comparison.compare === 'md5') await scan.hashRemaining()
    if (caches) scan.updateCaches(caches)
    return scan.result()
  } finally {
    run.signal?.removeEventListener('abort', abort)
    await scan.close()
  }
}

/** One scan of a pair of trees in progress: the manifests it builds and the lanes it runs on. */
class PairScan {
  private readonly manifests: Record<Side, Manifest>
  private readonly dirs: Record<Side, Map<string, Entry>> = {source: new Map(), replica: new Map()}
  /** Directories listed, per side: their cache records are the ones to keep. */
  private readonly scannedDirs: Record<Side, string[]> = {source: [], replica: []}
  /** Directories whose hashes changed, per side, with their new hashes. */
  private readonly changedHashes: Record<Side, Map<string, PackedHashes>> = {source: new Map(), replica: new Map()}
  /** Files hashed after the walk, to add to the caches. */
  private readonly lateHashes: Array<[Side, Entry]> = []
  private readonly hashing: HashCounts = {hashedFiles: 0, hashedBytes: 0, cachedFiles: 0}
  private readonly cacheProblems = new Set<string>()
  private readonly listed: Record<Side, number> = {source: 0, replica: 0}
  private readonly lanes: Lanes
  private pool: ScanPool | undefined

  constructor(
    private readonly config: PairScanConfig,
    private readonly run: PairScanRun,
    replicaExists: boolean,
  ) {
    const empty = (root: string, exists: boolean): Manifest => ({root, exists, entries: [], warnings: [], temporaries: [], excluded: [], matched: 0})
    this.manifests = {source: empty(config.roots.source, true), replica: empty(config.roots.replica, replicaExists)}
    this.lanes = new Lanes(new InlineRunner(new DirectoryPairScanner(config)))
  }

  /**
   * Small trees are scanned right here; past a budget of entries, scanner threads join
   * in. This thread keeps a lane of its own: it is otherwise idle, and one thread fewer
   * saves the memory of one.
   */
  private maybeStartPool(): void {
    if (this.pool || this.listed.source + this.listed.replica < (this.config.settings.inlineEntries ?? DEFAULT_INLINE_ENTRIES)) return
    this.startPool()
  }

  /**
   * Starts (or grows) the scanner threads: one per core but this thread's while it has a
   * lane of its own; `everyCore` for large files, which this thread does not take.
   */
  private startPool(everyCore = false): void {
    const threads = Math.min(availableParallelism(), this.config.settings.concurrency ?? Infinity) - (everyCore ? 0 : 1)
    if (threads < 1) return
    if (this.pool) this.pool.grow(threads)
    else {
      this.pool = new ScanPool(this.config, threads)
      this.lanes.add(this.pool)
    }
  }

  /**
   * Walks directory pairs from a queue, a few per request, keeping every lane busy: two
   * requests per scanner thread, one on this thread.
   */
  walk(): Promise<void> {
    const queue: DirToScan[] = [{dir: '', sides: {source: true, replica: this.manifests.replica.exists}}]
    let active = 0
    let failed = false
    return new Promise<void>((resolve, reject) => {
      const fail = (error: unknown): void => {
        failed = true
        reject(error)
      }
      const pump = (): void => {
        while (!failed && queue.length > 0) {
          if (this.run.signal?.aborted) return fail(new TreesyncError('INTERRUPTED', 'interrupted'))
          this.maybeStartPool()
          const runner = this.lanes.acquire()
          if (!runner) return
          // A few directories per request: a message costs about as much as a directory
          // of small files, but a long queue is still shared by every lane.
          const next = queue.splice(-Math.min(DIRS_PER_REQUEST, Math.ceil(queue.length / this.lanes.size)))
          active++
          // The jobs are not kept: the hashes they carry are garbage once posted.
          runner
            .scanDirectories(next.map((dir) => this.job(dir)))
            .then((results) => {
              this.lanes.release(runner)
              active--
              if (failed) return
              for (const result of results) for (const sub of this.take(result)) queue.push(sub)
              if (queue.length === 0 && active === 0) resolve()
              else pump()
            })
            .catch(fail)
        }
      }
      pump()
    })
  }

  /** A directory's job, with the hashes remembered for it: read only now, so only jobs in flight hold them. */
  private job({dir, sides}: DirToScan): DirJob {
    const caches = this.run.caches
    if (!caches) return {dir, sides}
    const hashes: Partial<Record<Side, PackedHashes>> = {}
    for (const side of ['source', 'replica'] as const) {
      if (!sides[side]) continue
      try {
        const packed = caches[side].directoryHashes(dir)
        if (packed !== '') hashes[side] = packed
      } catch (error) {
        this.cacheProblems.add(`ignoring part of hash cache ${caches[side].name}: ${(error as Error).message}`)
      }
    }
    return {dir, sides, hashes}
  }

  /** Adds one directory's result to the manifests; returns the subdirectories to scan. */
  private take(result: DirResult): DirToScan[] {
    for (const side of ['source', 'replica'] as const) {
      const part = result.sides[side]
      if (!part) continue
      const manifest = this.manifests[side]
      if (part.listingError !== undefined) {
        // An unreadable root must stop everything: an empty listing would read as "delete all".
        if (result.dir === '') throw new TreesyncError('BAD_INPUT', `cannot read ${manifest.root}: ${part.listingError}`, manifest.root)
        this.dirs[side].get(result.dir)!.unreadable = true
      }
      for (const entry of part.entries) {
        manifest.entries.push(entry)
        if (entry.type === 'dir') this.dirs[side].set(entry.path, entry)
      }
      append(manifest.warnings, part.warnings)
      append(manifest.temporaries, part.temporaries)
      append(manifest.excluded, part.excluded)
      this.listed[side] += part.entries.length + result.matched
      if (part.listingError === undefined) this.scannedDirs[side].push(result.dir)
      const hashes = result.hashes[side]
      if (hashes !== undefined) this.changedHashes[side].set(result.dir, hashes)
      const problem = result.hashProblems[side]
      if (problem !== undefined) this.cacheProblems.add(`ignoring part of hash cache ${this.run.caches![side].name}: ${problem}`)
      this.run.onProgress?.({phase: 'scan', side, root: manifest.root, entries: this.listed[side]})
    }
    this.manifests.source.matched! += result.matched
    this.manifests.replica.matched! += result.matched
    addCounts(this.hashing, result.hashing)
    return result.subdirs
  }

  finishManifests(): void {
    for (const manifest of Object.values(this.manifests)) sortManifest(manifest)
  }

  /**
   * Hashes what the walk left: large files (one task each, spread over threads) and
   * replica files that may be the source of a move, which only the whole walk can tell.
   */
  async hashRemaining(): Promise<void> {
    const {source, replica} = this.manifests
    const needed = replicaFilesToHash(source, replica, this.config.settings.comparison)
    const tasks: Array<{task: HashTask; entries: Partial<Record<Side, Entry>>; bytes: number}> = []
    const wants = (e: Entry | undefined): e is Entry => e?.type === 'file' && !e.unreadable && e.md5 === undefined
    mergeByPath(source.entries, replica.entries, (src, rep) => {
      const entries: Partial<Record<Side, Entry>> = {}
      if (wants(src)) entries.source = src
      if (wants(rep) && needed(rep)) entries.replica = rep
      const sides = Object.keys(entries) as Side[]
      if (sides.length === 0) return
      const bytes = (entries.source?.size ?? 0) + (entries.replica?.size ?? 0)
      // Both sides only for a same-size twin (see replicaFilesToHash), so one size serves.
      const size = (entries.source ?? entries.replica)!.size
      tasks.push({task: {path: (src ?? rep)!.path, sides, size}, entries, bytes})
    })
    if (tasks.length === 0) return

    const totalBytes = tasks.reduce((sum, t) => sum + t.bytes, 0)
    if (totalBytes >= 8 * INLINE_HASH_MAX_BYTES) this.startPool()
    // Batches of small files, and large files one by one. This thread's lane takes only
    // small batches while scanner threads exist: a large file would keep it from noticing
    // a signal for as long as it takes to read.
    const small: Array<typeof tasks> = []
    const large: Array<typeof tasks> = []
    for (const group of batch(tasks, (t) => t.bytes)) (group.length === 1 && group[0]!.bytes >= INLINE_HASH_MAX_BYTES ? large : small).push(group)
    if (large.length > 0) this.startPool(true)
    const progress = {root: source.root, hashed: 0, total: tasks.length, bytes: 0, cached: 0}
    const lane = async (runner: ScanRunner, takesLarge: boolean): Promise<void> => {
      for (let group = (takesLarge && large.shift()) || small.shift(); group; group = (takesLarge && large.shift()) || small.shift()) {
        this.checkSignal()
        const outcomes = await runner.hash(group.map((t) => t.task))
        group.forEach((t, i) => this.takeHash(t.entries, outcomes[i]!))
        progress.hashed += group.length
        progress.bytes = this.hashing.hashedBytes
        this.run.onProgress?.({phase: 'hash', side: 'source', ...progress})
      }
    }
    // Scanner-thread lanes come first: this thread's lane blocks while it hashes.
    const runners: ScanRunner[] = []
    for (let runner = this.lanes.acquire(); runner; runner = this.lanes.acquire()) runners.push(runner)
    try {
      await Promise.all(runners.map((runner) => lane(runner, runner === this.pool || !this.pool)))
    } finally {
      for (const runner of runners) this.lanes.release(runner)
    }
    for (const side of ['source', 'replica'] as const) this.manifests[side].warnings.sort((a, b) => comparePaths(a.path, b.path))
  }

  private takeHash(entries: Partial<Record<Side, Entry>>, outcome: Partial<Record<Side, {md5: string; size: number} | {error: string}>>): void {
    for (const side of ['source', 'replica'] as const) {
      const entry = entries[side]
      if (!entry) continue
      const warning = applyHash(entry, outcome[side]!, this.hashing)
      if (warning) this.manifests[side].warnings.push(warning)
      else this.lateHashes.push([side, entry])
    }
  }

  /**
   * Gives the caches this scan's hashes: the directories whose hashes changed, the
   * directories there are (the others' are dropped), then what was hashed after the walk.
   */
  updateCaches(caches: TreeHashCaches): void {
    for (const side of ['source', 'replica'] as const) {
      for (const [dir, hashes] of this.changedHashes[side]) caches[side].storeDirectory(dir, hashes)
      caches[side].keepDirectories(this.scannedDirs[side])
    }
    for (const [side, entry] of this.lateHashes) {
      if (!hasIdentity(entry)) continue
      const {size, mtimeNs, ctimeNs, ino, md5} = entry
      caches[side].record(entry.path, {size, mtimeNs, ctimeNs, ino, md5: md5!}, this.config.scanStartNs)
    }
  }

  result(): ScannedPair {
    return {...this.manifests, hashing: this.hashing, cacheProblems: [...this.cacheProblems]}
  }

  private checkSignal(): void {
    if (this.run.signal?.aborted) throw new TreesyncError('INTERRUPTED', 'interrupted')
  }

  abort(): Promise<void> | undefined {
    return this.pool?.abort(new TreesyncError('INTERRUPTED', 'interrupted'))
  }

  async close(): Promise<void> {
    await this.pool?.close()
  }
}

/** Appends one by one: a directory can hold more entries than a spread call takes arguments. */
function append<T>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item)
}

function addCounts(into: HashCounts, more: HashCounts): void {
  into.hashedFiles += more.hashedFiles
  into.hashedBytes += more.hashedBytes
  into.cachedFiles += more.cachedFiles
}

/** Groups items into batches of about HASH_BATCH_BYTES; a large item is a batch of its own. */
function batch<T>(items: readonly T[], bytesOf: (item: T) => number): T[][] {
  const batches: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const item of items) {
    if (current.length > 0 && (bytes + bytesOf(item) > HASH_BATCH_BYTES || current.length >= HASH_BATCH_FILES)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += bytesOf(item)
  }
  if (current.length > 0) batches.push(current)
  return batches
}
