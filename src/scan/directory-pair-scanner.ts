import {join} from 'node:path'

import {DirectoryHashes, HashPacker, type PackedHashes} from '../cache/packed-hashes.js'
import {describeFsError} from '../errors.js'
import {compileExcludes, type ExcludeFn} from '../filter/exclude-filter.js'
import type {ScanSettings} from '../settings.js'
import type {Entry, ScanWarning} from '../tree/entry.js'
import {mergeByPath} from '../tree/merge-by-path.js'
import {baseName, comparePaths} from '../tree/paths.js'
import {isSettled, namesClashingByCase} from './pair-settling.js'
import {hashFileSync, hashOpenFile, hashOpenPair, hashPairSync, ReadBuffers, type FileHash, type PairHash, type SideError} from '../backend/local/hash-sync.js'
import {closeOpened, listDirectory, openDeferred, statEntry, type DirectoryListing, type OpenedFile} from '../backend/local/list-directory.js'

/**
 * Scanning both trees one directory pair at a time: list and lstat the directory on each
 * side (files the cache does not know are opened instead, and stat'ed through the open
 * descriptor, since they are about to be read), take known hashes from those the job
 * brought from the cache, hash small files whose hash a decision needs, and leave out
 * pairs that are already equal. This runs on scanner threads (see scan-pool.ts), or on the
 * caller's thread for small trees; it is synchronous and takes and returns plain data, so
 * both work the same. The filesystem work is the local backend's (backend/local/).
 */

/** Which tree of the pair. */
export type Side = 'source' | 'replica'

/** Files at least this large are hashed later, one per task, so big files spread over threads. */
export const INLINE_HASH_MAX_BYTES = 1024 * 1024
/**
 * Most bytes one directory job hashes; the rest of its files are hashed after the walk,
 * in batches. A job runs without a break (possibly on the main thread, where a signal
 * waits for it), so it must stay short whatever the directory holds.
 */
const JOB_HASH_BUDGET_BYTES = 16 * 1024 * 1024

/** What every job of one scan shares. Plain data: it is posted to scanner threads. */
export interface PairScanConfig {
  roots: Record<Side, string>
  settings: ScanSettings
  /** Hashes are taken from the trees' caches (with each job) and handed back for them. */
  caching: boolean
  /** When the scan started (wall clock): records of files changed since are racy. */
  scanStartNs: bigint
}

/** One directory to scan, on the sides that have it. */
export interface DirJob {
  dir: string
  sides: Record<Side, boolean>
  /** The directory's hashes remembered in each tree's cache (none: no record). */
  hashes?: Partial<Record<Side, PackedHashes>>
}

/** One side of a scanned directory. */
export interface SideResult {
  /** Entries the planner must see: pairs already equal on both sides are left out. */
  entries: Entry[]
  warnings: ScanWarning[]
  temporaries: string[]
  excluded: string[]
  /** Why the directory could not be listed, if it could not (a warning says so too). */
  listingError?: string
}

/** Files read and hashes taken from the cache. */
export interface HashCounts {
  hashedFiles: number
  hashedBytes: number
  cachedFiles: number
}

/** What scanning one directory pair found, per side, and where the walk goes next. */
export interface DirResult {
  dir: string
  sides: Partial<Record<Side, SideResult>>
  /** Entries equal on both sides, left out of both. */
  matched: number
  /** Subdirectories to scan next, with the sides that have them. */
  subdirs: Array<{dir: string; sides: Record<Side, boolean>}>
  hashing: HashCounts
  /** The directory's hashes for each tree's cache, when they differ from the job's. */
  hashes: Partial<Record<Side, PackedHashes>>
  /** Why the job's hashes of a side could not be used (they were ignored). */
  hashProblems: Partial<Record<Side, string>>
}

/** A file (or a same-size pair) to hash outside its directory's job. */
export interface HashTask {
  path: string
  sides: Side[]
  /** The size lstat reported (the same on both sides of a pair): hashing reads no further. */
  size: number
}

/** The outcome of one hash task, per side: a hash, or why the file could not be read. */
export type HashOutcome = Partial<Record<Side, FileHash | {error: string}>>

/** Per-thread state: the compiled exclude filter and read buffers. */
export class DirectoryPairScanner {
  private readonly exclude: ExcludeFn | undefined
  private readonly buffers = new ReadBuffers()

  constructor(readonly config: PairScanConfig) {
    this.exclude = compileExcludes(config.settings.exclude)
  }

  scanDirectory(job: DirJob): DirResult {
    const result: DirResult = {dir: job.dir, sides: {}, matched: 0, subdirs: [], hashing: {hashedFiles: 0, hashedBytes: 0, cachedFiles: 0}, hashes: {}, hashProblems: {}}
    const remembered = this.unpackHashes(job, result)
    const defer = this.deferrals(remembered)
    const listings: Partial<Record<Side, DirectoryListing>> = {}
    for (const side of ['source', 'replica'] as const) {
      if (!job.sides[side]) continue
      try {
        const deferred = side === 'source' ? defer?.source : defer?.replica(listings.source)
        listings[side] = listDirectory(this.config.roots[side], job.dir, this.exclude, deferred)
      } catch (error) {
        const listingError = describeFsError(error)
        const warning: ScanWarning = {path: job.dir, message: `cannot read directory: ${listingError}`, level: 'error'}
        result.sides[side] = {entries: [], warnings: [warning], temporaries: [], excluded: [], listingError}
      }
    }
    const budget = {bytes: JOB_HASH_BUDGET_BYTES}
    const warn = (side: Side, warning: ScanWarning) => listings[side]!.warnings.push(warning)
    this.openAndHashDeferred(listings, result, budget, warn)
    const source = listings.source?.entries ?? []
    const replica = listings.replica?.entries ?? []
    this.takeRemembered(listings, remembered, result)
    if (this.config.settings.comparison.compare === 'md5') this.fillHashes(source, replica, result, warn, budget)
    for (const side of ['source', 'replica'] as const) {
      const listing = listings[side]
      if (listing) this.handBackHashes(side, listing.entries, remembered[side] ? job.hashes?.[side] ?? '' : undefined, result)
    }

    const kept: Record<Side, Entry[]> = {source: [], replica: []}
    const clashing = this.config.settings.comparison.caseSensitive ? undefined : namesClashingByCase(source)
    mergeByPath(source, replica, (src, rep) => {
      if (src && rep && !clashing?.has(src.path) && isSettled(src, rep, this.config.settings.comparison)) {
        result.matched++
        return
      }
      if (src) kept.source.push(src)
      if (rep) kept.replica.push(rep)
      const sides = {source: src?.type === 'dir' && !src.unreadable, replica: rep?.type === 'dir' && !rep.unreadable}
      if (sides.source || sides.replica) result.subdirs.push({dir: (src ?? rep)!.path, sides})
    })
    for (const side of ['source', 'replica'] as const) {
      const listing = listings[side]
      if (!listing) continue
      result.sides[side] = {entries: kept[side], warnings: listing.warnings, temporaries: listing.temporaries, excluded: listing.excluded}
    }
    return result
  }

  /** Hashes the files of one task (large files, or files whose need showed only later). */
  hash(task: HashTask): HashOutcome {
    const abs = (side: Side) => join(this.config.roots[side], task.path)
    if (task.sides.length === 2) return this.pairOutcome(() => hashPairSync(abs('source'), abs('replica'), this.buffers, task.size), abs, task.size)
    const outcome: HashOutcome = {}
    for (const side of task.sides) outcome[side] = this.hashOne(abs(side), task.size)
    return outcome
  }

  /** A pair's hashes; when one side fails, the other is hashed alone, so only the failing side is unreadable. */
  private pairOutcome(hashPair: () => PairHash, abs: (side: Side) => string, size: number): HashOutcome {
    try {
      const pair = hashPair()
      return {source: pair.source, replica: pair.replica}
    } catch (error) {
      const failed = (error as SideError).side ?? 'source'
      const other = failed === 'source' ? 'replica' : 'source'
      return {[failed]: {error: describeFsError(error)}, [other]: this.hashOne(abs(other), size)}
    }
  }

  private hashOne(abs: string, size: number): FileHash | {error: string} {
    return readHash(() => hashFileSync(abs, this.buffers, size))
  }

  /**
   * Hashes the small files a decision needs that the cache did not know: every source
   * file, and a replica file whose source twin has the same size (a pair is read side by
   * side, see hashPairSync). Replica files without a twin are hashed only if the planner
   * may pair them with a move, which is known after the whole walk.
   */
  private fillHashes(source: Entry[], replica: Entry[], result: DirResult, warn: Warn, budget: Budget): void {
    mergeByPath(source, replica, (src, rep) => {
      if (!src || src.type !== 'file' || src.unreadable) return
      const twin = rep?.type === 'file' && !rep.unreadable && rep.size === src.size ? rep : undefined
      const sides = sidesToHash(src, twin, budget)
      if (sides.length === 0) return
      const outcome = this.hash({path: src.path, sides, size: src.size})
      takeOutcome({source: src, replica: twin}, sides, outcome, result.hashing, warn)
    })
  }

  /**
   * The job's remembered hashes, per side listed (none when not caching; a side whose
   * hashes are unusable is left out, and they are then replaced).
   */
  private unpackHashes(job: DirJob, result: DirResult): Partial<Record<Side, DirectoryHashes>> {
    const remembered: Partial<Record<Side, DirectoryHashes>> = {}
    if (!this.config.caching) return remembered
    for (const side of ['source', 'replica'] as const) {
      if (!job.sides[side]) continue
      try {
        remembered[side] = DirectoryHashes.unpack(job.hashes?.[side] ?? '')
      } catch (error) {
        result.hashProblems[side] = (error as Error).message
      }
    }
    return remembered
  }

  /**
   * Under md5, which regular files to open before stat'ing (see openAndHashDeferred): those whose
   * content the cache does not know, so they will be read anyway. On the replica side,
   * only twins of such source files: a replica file is read only beside its source twin.
   */
  private deferrals(remembered: Partial<Record<Side, DirectoryHashes>>) {
    if (this.config.settings.comparison.compare !== 'md5') return undefined
    const unknown = (side: Side, name: string) => !remembered[side]?.has(name)
    return {
      source: (name: string) => unknown('source', name),
      replica: (source: DirectoryListing | undefined) => {
        const twins = new Set(source?.deferred.map((d) => d.dirent.name))
        return (name: string) => twins.has(name) && unknown('replica', name)
      },
    }
  }

  /**
   * Opens the files the listings deferred and stats what was opened: the open a hash
   * needs anyway then also serves the stat, one path lookup instead of two. Source files
   * are hashed, side by side with a same-size replica twin, as fillHashes would. A file
   * that cannot be opened as a regular file is listed by lstat like any other entry, so
   * whatever is wrong with it is reported the usual way.
   */
  private openAndHashDeferred(listings: Partial<Record<Side, DirectoryListing>>, result: DirResult, budget: Budget, warn: Warn): void {
    const twins = new Map(listings.replica?.deferred.map((d) => [d.dirent.name, d]))
    for (const file of listings.source?.deferred ?? []) {
      const twin = twins.get(file.dirent.name)
      twins.delete(file.dirent.name)
      let source: OpenedFile | undefined
      let replica: OpenedFile | undefined
      try {
        source = openDeferred(this.config.roots.source, file, listings.source!)
        replica = twin && openDeferred(this.config.roots.replica, twin, listings.replica!)
        if (source) this.hashOpened(source, replica, result, budget, warn)
      } finally {
        closeOpened(source)
        closeOpened(replica)
      }
    }
    // Replica files are deferred only beside a source twin; any other is listed as usual.
    for (const file of twins.values()) statEntry(this.config.roots.replica, file.path, file.dirent, listings.replica!)
    for (const side of ['source', 'replica'] as const) listings[side]?.entries.sort((a, b) => comparePaths(a.path, b.path))
  }

  /** fillHashes for an opened source file and its opened twin, read through their descriptors. */
  private hashOpened(source: OpenedFile, replica: OpenedFile | undefined, result: DirResult, budget: Budget, warn: Warn): void {
    const twin = replica?.entry.size === source.entry.size ? replica : undefined
    const sides = sidesToHash(source.entry, twin?.entry, budget)
    if (sides.length === 0) return
    const {path, size} = source.entry
    const opened: Partial<Record<Side, OpenedFile>> = {source, replica: twin}
    const abs = (side: Side) => `${this.config.roots[side]}/${path}`
    const outcome: HashOutcome =
      sides.length === 2
        ? this.pairOutcome(() => hashOpenPair(source.fd, twin!.fd, this.buffers, size), abs, size)
        : {[sides[0]!]: readHash(() => hashOpenFile(opened[sides[0]!]!.fd, this.buffers, size))}
    takeOutcome({source: source.entry, replica: twin?.entry}, sides, outcome, result.hashing, warn)
  }

  /** Takes known hashes from those remembered for the directory. */
  private takeRemembered(listings: Partial<Record<Side, DirectoryListing>>, remembered: Partial<Record<Side, DirectoryHashes>>, result: DirResult): void {
    for (const side of ['source', 'replica'] as const) {
      const listing = listings[side]
      const hashes = remembered[side]
      if (!listing || !hashes) continue
      for (const entry of listing.entries) {
        if (entry.type !== 'file' || entry.unreadable || entry.md5 !== undefined || !hasIdentity(entry)) continue
        const md5 = hashes.lookup(baseName(entry.path), entry)
        if (md5 !== undefined) {
          entry.md5 = md5
          result.hashing.cachedFiles++
        }
      }
    }
  }

  /**
   * Hands back the directory's hashes when they differ from those the job brought
   * (`before`; undefined when those were unusable): every file with a known hash whose
   * timestamps can be trusted.
   */
  private handBackHashes(side: Side, entries: readonly Entry[], before: PackedHashes | undefined, result: DirResult): void {
    if (!this.config.caching) return
    const packer = new HashPacker(this.config.scanStartNs)
    for (const e of entries) {
      if (e.type === 'file' && e.md5 !== undefined && hasIdentity(e)) packer.add(baseName(e.path), e, e.md5)
    }
    const hashes = packer.packed()
    if (hashes !== before) result.hashes[side] = hashes
  }
}

/** Bytes a job may still hash before leaving the rest for after the walk. */
interface Budget {
  bytes: number
}

type Warn = (side: Side, warning: ScanWarning) => void

/**
 * Which of a source file and its same-size twin one job hashes: each whose hash is not
 * known and that is small enough, while the job's budget lasts (which this spends).
 */
function sidesToHash(src: Entry, twin: Entry | undefined, budget: Budget): Side[] {
  if (budget.bytes <= 0) return []
  const sides: Side[] = []
  if (src.md5 === undefined && src.size < INLINE_HASH_MAX_BYTES) sides.push('source')
  if (twin && twin.md5 === undefined && twin.size < INLINE_HASH_MAX_BYTES) sides.push('replica')
  budget.bytes -= src.size * sides.length
  return sides
}

/** Records each hashed side's outcome on its entry, warning about the unreadable ones. */
function takeOutcome(entries: Partial<Record<Side, Entry>>, sides: Side[], outcome: HashOutcome, counts: HashCounts, warn: Warn): void {
  for (const side of sides) {
    const warning = applyHash(entries[side]!, outcome[side]!, counts)
    if (warning) warn(side, warning)
  }
}

/** A file's hash, or why it could not be read. */
function readHash(hashing: () => FileHash): FileHash | {error: string} {
  try {
    return hashing()
  } catch (error) {
    return {error: describeFsError(error)}
  }
}

/**
 * Records a hash on its entry (the size becomes the bytes actually hashed), or marks the
 * entry unreadable and returns the warning.
 */
export function applyHash(entry: Entry, outcome: FileHash | {error: string}, counts: HashCounts): ScanWarning | undefined {
  if ('error' in outcome) {
    entry.unreadable = true
    return {path: entry.path, message: `cannot read file: ${outcome.error}`, level: 'error'}
  }
  entry.md5 = outcome.md5
  entry.size = outcome.size
  counts.hashedFiles++
  counts.hashedBytes += outcome.size
  return undefined
}

/** Whether a file's entry has what the hash cache keys on (inode, ctime, mtime in ns). */
export function hasIdentity(entry: Entry): entry is Entry & {ino: bigint; ctimeNs: bigint; mtimeNs: bigint} {
  return entry.ino !== undefined && entry.ctimeNs !== undefined && entry.mtimeNs !== undefined
}
