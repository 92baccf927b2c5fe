import type {Backend, ContentHash} from '../backend/backend.js'
import type {HashCache} from '../cache/hash-cache.js'
import {DirectoryHashes, HashPacker, type PackedHashes} from '../cache/packed-hashes.js'
import {describeError, TreesyncError} from '../errors.js'
import type {ExcludeFn} from '../filter/exclude-filter.js'
import type {ScanSettings} from '../settings.js'
import type {Entry, ScanWarning} from '../tree/entry.js'
import {mergeByPath} from '../tree/merge-by-path.js'
import {baseName} from '../tree/paths.js'
import type {Limiter} from '../util/limiter.js'
import {isRacyOnBackend} from './backend-hash-identity.js'
import {listingOf, type BackendListing} from './backend-listing.js'
import {applyHash, hasIdentity, INLINE_HASH_MAX_BYTES, type HashCounts, type Side, type SideResult} from './directory-pair-scanner.js'
import {isSettled, namesClashingByCase} from './pair-settling.js'

/**
 * One directory pair of a scan over two Backends, settled the way the local scanner
 * settles one (directory-pair-scanner.ts): list both sides, take hashes from the cache and
 * from the listing, hash the small files a decision needs, and leave out pairs already
 * equal. Its subdirectories are handed to the walk as soon as both listings are in, so
 * listing goes on while this directory's files are hashed.
 */

const SIDES = ['source', 'replica'] as const

/** What every directory of one scan shares. */
export interface BackendScanContext {
  backends: Record<Side, Backend>
  settings: ScanSettings
  exclude: ExcludeFn | undefined
  /** Each tree's hash cache, under `--compare md5` only. */
  caches: Record<Side, HashCache> | undefined
  /** When the scan started (wall clock): hashes of files changed since are not remembered. */
  scanStartNs: bigint
  lists: Limiter
  hashes: Limiter
  hashing: HashCounts
  cacheProblems: Set<string>
  /** Throws INTERRUPTED once the scan is stopped (aborted, or failed elsewhere). */
  checkStopped(): void
  /** A side's listing is in, with this many entries (progress). */
  onListed(side: Side, entries: number): void
}

/** A directory to scan, with its entry on each side that has it as a readable directory. */
export interface DirToScan {
  dir: string
  sides: Record<Side, boolean>
  /** The directory's entries, marked unreadable if listing fails (none for the root). */
  entries: Partial<Record<Side, Entry>>
}

/** What one directory pair adds to the manifests. */
export interface BackendDirResult {
  dir: string
  sides: Partial<Record<Side, SideResult>>
  /** Pairs equal on both sides, left out of both. */
  matched: number
  /** The directory's packed hashes for each tree's cache, when they changed. */
  hashes: Partial<Record<Side, PackedHashes>>
}

/** Failures about a whole root rather than one entry: they end the scan instead of becoming warnings. */
export function endsTheScan(error: unknown): boolean {
  return error instanceof TreesyncError && (error.code === 'INTERRUPTED' || error.code === 'ROOT_UNREACHABLE')
}

/** Scans one directory pair; `descend` gets its subdirectories as soon as both listings are in. */
export async function scanBackendDirectory(ctx: BackendScanContext, job: DirToScan, descend: (subdirs: DirToScan[]) => void): Promise<BackendDirResult> {
  const result: BackendDirResult = {dir: job.dir, sides: {}, matched: 0, hashes: {}}
  const listings: Partial<Record<Side, BackendListing>> = {}
  await Promise.all(SIDES.filter((side) => job.sides[side]).map(async (side) => (listings[side] = await listSide(ctx, side, job, result))))
  const remembered = rememberedHashes(ctx, job.dir, listings)

  const source = listings.source?.entries ?? []
  const replica = listings.replica?.entries ?? []
  const subdirs: DirToScan[] = []
  mergeByPath(source, replica, (src, rep) => {
    const sides = {source: src?.type === 'dir' && !src.unreadable, replica: rep?.type === 'dir' && !rep.unreadable}
    if (sides.source || sides.replica) subdirs.push({dir: (src ?? rep)!.path, sides, entries: {source: src, replica: rep}})
  })
  descend(subdirs)

  if (ctx.settings.comparison.compare === 'md5') await hashSmallFiles(ctx, source, replica, listings)
  for (const side of SIDES) {
    const listing = listings[side]
    const before = remembered[side]
    if (listing && before !== undefined) handBackHashes(ctx, side, listing, before === false ? undefined : before.packed, result)
  }

  const kept: Record<Side, Entry[]> = {source: [], replica: []}
  const clashing = ctx.settings.comparison.caseSensitive ? undefined : namesClashingByCase(source)
  mergeByPath(source, replica, (src, rep) => {
    if (src && rep && !clashing?.has(src.path) && isSettled(src, rep, ctx.settings.comparison)) result.matched++
    else {
      if (src) kept.source.push(src)
      if (rep) kept.replica.push(rep)
    }
  })
  for (const side of SIDES) {
    const listing = listings[side]
    if (listing) result.sides[side] = {entries: kept[side], warnings: listing.warnings, temporaries: listing.temporaries, excluded: listing.excluded}
  }
  return result
}

/**
 * Lists one side of the directory. A directory that cannot be listed is marked unreadable
 * with an error warning and the walk goes on, except the root: an empty listing there
 * would read as "delete everything".
 */
async function listSide(ctx: BackendScanContext, side: Side, job: DirToScan, result: BackendDirResult): Promise<BackendListing | undefined> {
  const backend = ctx.backends[side]
  try {
    const listed = await ctx.lists.run(() => {
      ctx.checkStopped()
      return backend.list(job.dir)
    })
    const caching = ctx.caches !== undefined
    const md5 = ctx.settings.comparison.compare === 'md5'
    const listing = listingOf(job.dir, listed, {exclude: ctx.exclude, takeFreeHashes: md5, withIdentity: caching})
    ctx.onListed(side, listing.entries.length)
    return listing
  } catch (error) {
    if (endsTheScan(error)) throw error
    const {message} = describeError(error)
    if (job.dir === '') throw new TreesyncError('BAD_INPUT', `cannot read ${backend.root}: ${message}`, backend.root)
    const warning: ScanWarning = {path: job.dir, message: `cannot read directory: ${message}`, level: 'error'}
    result.sides[side] = {entries: [], warnings: [warning], temporaries: [], excluded: [], listingError: message}
    job.entries[side]!.unreadable = true
    return undefined
  }
}

/**
 * Takes the hashes the caches remember for this directory's files, per side: the packed
 * hashes read (to tell later whether they changed), `false` when they could not be used
 * (they are then replaced), undefined when not caching or not listed.
 */
function rememberedHashes(ctx: BackendScanContext, dir: string, listings: Partial<Record<Side, BackendListing>>): Partial<Record<Side, {packed: PackedHashes} | false>> {
  const out: Partial<Record<Side, {packed: PackedHashes} | false>> = {}
  if (!ctx.caches) return out
  for (const side of SIDES) {
    const listing = listings[side]
    if (!listing) continue
    const cache = ctx.caches[side]
    try {
      const packed = cache.directoryHashes(dir)
      const hashes = DirectoryHashes.unpack(packed)
      for (const entry of listing.entries) {
        if (entry.type !== 'file' || entry.md5 !== undefined || !hasIdentity(entry)) continue
        const md5 = hashes.lookup(baseName(entry.path), entry)
        if (md5 === undefined) continue
        entry.md5 = md5
        ctx.hashing.cachedFiles++
      }
      out[side] = {packed}
    } catch (error) {
      ctx.cacheProblems.add(`ignoring part of hash cache ${cache.name}: ${(error as Error).message}`)
      out[side] = false
    }
  }
  return out
}

/**
 * Hashes the small files a decision needs that neither the cache nor the listing knew:
 * every source file, and a replica file whose source twin has the same size. Larger ones
 * and possible move sources are hashed after the walk, with progress.
 */
async function hashSmallFiles(ctx: BackendScanContext, source: Entry[], replica: Entry[], listings: Partial<Record<Side, BackendListing>>): Promise<void> {
  const hashing: Array<Promise<void>> = []
  const wants = (entry: Entry | undefined): entry is Entry => entry !== undefined && entry.md5 === undefined && entry.size < INLINE_HASH_MAX_BYTES
  mergeByPath(source, replica, (src, rep) => {
    if (!src || src.type !== 'file' || src.unreadable) return
    const twin = rep?.type === 'file' && !rep.unreadable && rep.size === src.size ? rep : undefined
    if (wants(src)) hashing.push(hashEntry(ctx, 'source', src).then((w) => void (w && listings.source!.warnings.push(w))))
    if (wants(twin)) hashing.push(hashEntry(ctx, 'replica', twin).then((w) => void (w && listings.replica!.warnings.push(w))))
  })
  await Promise.all(hashing)
}

/**
 * Hashes one file through its backend (no further than the size listed, as the local
 * scanner does); a file that cannot be read is marked unreadable and the warning returned.
 */
export async function hashEntry(ctx: BackendScanContext, side: Side, entry: Entry): Promise<ScanWarning | undefined> {
  let outcome: ContentHash | {error: string}
  try {
    outcome = await ctx.hashes.run(() => {
      ctx.checkStopped()
      return ctx.backends[side].hash(entry.path, entry.size)
    })
  } catch (error) {
    if (endsTheScan(error)) throw error
    outcome = {error: describeError(error).message}
  }
  return applyHash(entry, outcome, ctx.hashing)
}

/**
 * Packs the directory's hashes for the cache when they differ from those it had
 * (`before`; undefined when those were unusable): every file with a known hash whose
 * mtime can be trusted on its backend (see backend-hash-identity.ts), except hashes that
 * came free with the listing.
 */
function handBackHashes(ctx: BackendScanContext, side: Side, listing: BackendListing, before: PackedHashes | undefined, result: BackendDirResult): void {
  const packer = new HashPacker(ctx.scanStartNs)
  const capabilities = ctx.backends[side].capabilities
  for (const e of listing.entries) {
    if (e.type !== 'file' || e.md5 === undefined || !hasIdentity(e) || listing.freeHashes.has(e)) continue
    if (!isRacyOnBackend(e, ctx.scanStartNs, capabilities)) packer.add(baseName(e.path), e, e.md5)
  }
  const packed = packer.packed()
  if (packed !== before) result.hashes[side] = packed
}
