import {join} from 'node:path'

import {ChunkRecords, isRacy, recordLine} from '../cache/cache-records.js'
import {readChunkAt, type ChunkSpan} from '../cache/cache-file.js'
import {describeFsError} from '../errors.js'
import {compileExcludes, type ExcludeRules} from '../filter/exclude-filter.js'
import {reconcile} from '../plan/decide.js'
import type {CompareMode} from '../plan/plan.js'
import type {Entry, ScanWarning} from '../tree/entry.js'
import {mergeByPath} from '../tree/merge-by-path.js'
import {baseName} from '../tree/paths.js'
import {hashFileSync, hashPairSync, ReadBuffers, type FileHash, type SideError} from './hash-sync.js'
import {listDirectory, type DirectoryListing, type ExcludeFn} from './list-directory.js'

/**
 * Scanning both trees one directory pair at a time: list and lstat the directory on each
 * side, take known hashes from the cache, hash small files whose hash a decision needs,
 * and leave out pairs that are already equal. This runs on scanner threads (see
 * scan-pool.ts), or on the caller's thread for small trees; it is synchronous and returns
 * plain data, so both work the same.
 */

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
  exclude?: ExcludeRules
  compare: CompareMode
  /**
   * Each tree's hash-cache file when caching: its name (for warnings) and the descriptor
   * it is open on, if it exists (threads share descriptors; see cache-file.ts).
   */
  caches?: Record<Side, {file: string; fd?: number}>
  /** When the scan started (wall clock): records of files changed since are racy. */
  scanStartNs: bigint
}

/** One directory to scan, on the sides that have it. */
export interface DirJob {
  dir: string
  sides: Record<Side, boolean>
  /** Where the cached records of the directory are, per side. */
  spans?: Partial<Record<Side, ChunkSpan>>
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

export interface DirResult {
  dir: string
  sides: Partial<Record<Side, SideResult>>
  /** Entries equal on both sides, left out of both. */
  matched: number
  /** Subdirectories to scan next, with the sides that have them. */
  subdirs: Array<{dir: string; sides: Record<Side, boolean>}>
  hashing: HashCounts
  /** New cache records of the directory, per side, when they differ from the stored ones. */
  chunks: Partial<Record<Side, string>>
  /** Cached records that could not be read (they were ignored). */
  cacheProblems: string[]
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
export class PairScanner {
  private readonly exclude: ExcludeFn | undefined
  private readonly buffers = new ReadBuffers()

  constructor(readonly config: PairScanConfig) {
    this.exclude = compileExcludes(config.exclude)
  }

  scanDirectory(job: DirJob): DirResult {
    const result: DirResult = {dir: job.dir, sides: {}, matched: 0, subdirs: [], hashing: {hashedFiles: 0, hashedBytes: 0, cachedFiles: 0}, chunks: {}, cacheProblems: []}
    const listings: Partial<Record<Side, DirectoryListing>> = {}
    for (const side of ['source', 'replica'] as const) {
      if (!job.sides[side]) continue
      try {
        listings[side] = listDirectory(this.config.roots[side], job.dir, this.exclude)
      } catch (error) {
        const listingError = describeFsError(error)
        const warning: ScanWarning = {path: job.dir, message: `cannot read directory: ${listingError}`, level: 'error'}
        result.sides[side] = {entries: [], warnings: [warning], temporaries: [], excluded: [], listingError}
      }
    }
    const source = listings.source?.entries ?? []
    const replica = listings.replica?.entries ?? []
    const warn = (side: Side, warning: ScanWarning) => listings[side]!.warnings.push(warning)
    const stored = this.takeFromCache(job, listings, result)
    if (this.config.compare === 'md5') this.fillHashes(source, replica, result, warn)
    for (const side of ['source', 'replica'] as const) {
      const listing = listings[side]
      if (listing) this.storeInCache(side, listing.entries, stored[side], result)
    }

    const kept: Record<Side, Entry[]> = {source: [], replica: []}
    mergeByPath(source, replica, (src, rep) => {
      if (src && rep && isSettled(src, rep, this.config.compare)) {
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
    const outcome: HashOutcome = {}
    if (task.sides.length === 2) {
      try {
        const pair = hashPairSync(abs('source'), abs('replica'), this.buffers, task.size)
        return {source: pair.source, replica: pair.replica}
      } catch (error) {
        // One side failed: hash the other alone, so only the failing side is unreadable.
        const failed = (error as SideError).side ?? 'source'
        outcome[failed] = {error: describeFsError(error)}
        const other = failed === 'source' ? 'replica' : 'source'
        outcome[other] = this.hashOne(abs(other), task.size)
        return outcome
      }
    }
    for (const side of task.sides) outcome[side] = this.hashOne(abs(side), task.size)
    return outcome
  }

  private hashOne(abs: string, size: number): FileHash | {error: string} {
    try {
      return hashFileSync(abs, this.buffers, size)
    } catch (error) {
      return {error: describeFsError(error)}
    }
  }

  /**
   * Hashes the small files a decision needs that the cache did not know: every source
   * file, and a replica file whose source twin has the same size (a pair is read side by
   * side, see hashPairSync). Replica files without a twin are hashed only if the planner
   * may pair them with a move, which is known after the whole walk.
   */
  private fillHashes(source: Entry[], replica: Entry[], result: DirResult, warn: (side: Side, w: ScanWarning) => void): void {
    let budget = JOB_HASH_BUDGET_BYTES
    mergeByPath(source, replica, (src, rep) => {
      if (!src || src.type !== 'file' || src.unreadable || budget <= 0) return
      const twin = rep?.type === 'file' && !rep.unreadable && rep.size === src.size ? rep : undefined
      const sides: Side[] = []
      if (src.md5 === undefined && src.size < INLINE_HASH_MAX_BYTES) sides.push('source')
      if (twin && twin.md5 === undefined && twin.size < INLINE_HASH_MAX_BYTES) sides.push('replica')
      if (sides.length === 0) return
      budget -= src.size * sides.length
      const outcome = this.hash({path: src.path, sides, size: src.size})
      for (const side of sides) {
        const entry = side === 'source' ? src : twin!
        const warning = applyHash(entry, outcome[side]!, result.hashing)
        if (warning) warn(side, warning)
      }
    })
  }

  /**
   * Takes known hashes from the cached records of the directory; returns the records
   * stored per side (undefined when they were unusable, so they are replaced).
   */
  private takeFromCache(job: DirJob, listings: Partial<Record<Side, DirectoryListing>>, result: DirResult): Partial<Record<Side, string>> {
    const stored: Partial<Record<Side, string>> = {}
    const caches = this.config.caches
    if (!caches) return stored
    for (const side of ['source', 'replica'] as const) {
      const listing = listings[side]
      if (!listing) continue
      const span = job.spans?.[side]
      let records: ChunkRecords
      try {
        const text = span && caches[side].fd !== undefined ? readChunkAt(caches[side].fd, span, job.dir) : ''
        records = ChunkRecords.parse(text)
        stored[side] = text
      } catch (error) {
        result.cacheProblems.push(`ignoring part of hash cache ${caches[side].file}: ${(error as Error).message}`)
        continue
      }
      for (const entry of listing.entries) {
        if (entry.type !== 'file' || entry.unreadable || !hasIdentity(entry)) continue
        const md5 = records.lookup(baseName(entry.path), entry)
        if (md5 !== undefined) {
          entry.md5 = md5
          result.hashing.cachedFiles++
        }
      }
    }
    return stored
  }

  /** Hands back the directory's records when they differ from those stored. */
  private storeInCache(side: Side, entries: readonly Entry[], stored: string | undefined, result: DirResult): void {
    if (!this.config.caches) return
    const records = this.recordsOf(entries)
    if (records !== stored) result.chunks[side] = records
  }

  /** The directory's records: every file with a known hash whose timestamps can be trusted. */
  private recordsOf(entries: readonly Entry[]): string {
    let chunk = ''
    for (const e of entries) {
      if (e.type !== 'file' || e.md5 === undefined || !hasIdentity(e) || isRacy(e, this.config.scanStartNs)) continue
      chunk += recordLine(baseName(e.path), {size: e.size, mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, ino: e.ino, md5: e.md5})
    }
    return chunk
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

/** Whether a pair needs no operation at all, so the planner need not see it. */
function isSettled(src: Entry, rep: Entry, compare: CompareMode): boolean {
  if (src.unreadable || rep.unreadable || src.type !== rep.type || src.type === 'dir') return false
  if (compare === 'md5' && src.type === 'file' && (src.md5 === undefined || rep.md5 === undefined)) return false
  return reconcile(src, rep, compare).length === 0
}

export function hasIdentity(entry: Entry): entry is Entry & {ino: bigint; ctimeNs: bigint; mtimeNs: bigint} {
  return entry.ino !== undefined && entry.ctimeNs !== undefined && entry.mtimeNs !== undefined
}
