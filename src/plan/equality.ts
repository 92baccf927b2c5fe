import {FULL_CAPABILITIES, type RootCapabilities} from '../backend/capabilities.js'
import type {Entry, Manifest} from '../tree/entry.js'
import {foldCase} from './replica-limits.js'
import type {Reason} from './operation.js'
import type {CompareMode} from './plan.js'

/**
 * How a source entry and its replica counterpart are judged equal: one ladder (type, size,
 * then mtime or MD5, then metadata) used by the planner and by the scanner, which drops
 * equal pairs early. Plain data, so it can be sent to scanner threads.
 */
export interface Comparison {
  compare: CompareMode
  /** mtimes this many milliseconds apart or less are equal (rsync's `--modify-window`). */
  mtimeWindowMs: number
  /** Permission bits are compared: only when both roots keep them. */
  modes: boolean
  /** Names differ by case: false when the replica ignores case, so `A` there is the source's `a`. */
  caseSensitive: boolean
  /**
   * Directory mtimes are compared: only when both roots keep directories on their own
   * (`emptyDirs`). On S3 a directory is a key prefix with no mtime to compare or set.
   */
  directoryMtimes: boolean
}

/** Exact comparison between two full POSIX trees. */
export function exactComparison(compare: CompareMode): Comparison {
  return {compare, mtimeWindowMs: 0, modes: true, caseSensitive: true, directoryMtimes: true}
}

/**
 * The comparison for two roots: mtimes at the coarser precision of the two (a replica
 * that keeps whole seconds stores 12.7 s as 12 s, which must not count as a change), or
 * `--modify-window` when given; modes only where both keep them, directory mtimes only
 * where both keep directories.
 */
export function comparisonFor(
  compare: CompareMode,
  capabilities: RootCapabilities = {source: FULL_CAPABILITIES, replica: FULL_CAPABILITIES},
  modifyWindowSeconds?: number,
): Comparison {
  const coarsestNs = Math.max(capabilities.source.mtimePrecisionNs, capabilities.replica.mtimePrecisionNs)
  // mtimes are whole milliseconds: within a precision of P ms, two readings differ by P-1 at most.
  const fromPrecision = Math.max(0, Math.ceil(coarsestNs / 1e6) - 1)
  const mtimeWindowMs = modifyWindowSeconds === undefined ? fromPrecision : Math.round(modifyWindowSeconds * 1000)
  const {source, replica} = capabilities
  return {
    compare,
    mtimeWindowMs,
    modes: source.modes && replica.modes,
    caseSensitive: replica.caseSensitive,
    directoryMtimes: source.emptyDirs && replica.emptyDirs,
  }
}

/** True when two mtimes are equal within the comparison's window. */
export function sameMtime(a: number, b: number, comparison: Comparison): boolean {
  return Math.abs(a - b) <= comparison.mtimeWindowMs
}

/**
 * Why two files' data differ, or undefined when it is equal. The ladder is size, then the
 * comparison mode's test; a missing hash counts as different, never as equal.
 */
export function contentDifference(src: Entry, rep: Entry, comparison: Comparison): Reason | undefined {
  if (src.size !== rep.size) return 'size'
  if (comparison.compare === 'size-mtime') return sameMtime(src.mtimeMs, rep.mtimeMs, comparison) ? undefined : 'mtime'
  if (src.md5 === undefined || rep.md5 === undefined || src.md5 !== rep.md5) return 'content'
  return undefined
}

/** Why the metadata of two entries of one type differ (mtime first, then mode), or undefined. */
export function metadataDifference(src: Entry, rep: Entry, comparison: Comparison): Reason | undefined {
  if (src.type === 'symlink') return undefined
  const mtimes = src.type !== 'dir' || comparison.directoryMtimes
  if (mtimes && !sameMtime(src.mtimeMs, rep.mtimeMs, comparison)) return 'mtime'
  if (comparison.modes && src.mode !== rep.mode) return 'mode'
  return undefined
}

/** True when the replica entry needs no operation at all: what the scanner may drop. */
export function entriesMatch(src: Entry, rep: Entry, comparison: Comparison): boolean {
  if (src.type !== rep.type) return false
  if (src.type === 'symlink') return src.target === rep.target
  if (src.type === 'file' && contentDifference(src, rep, comparison) !== undefined) return false
  return metadataDifference(src, rep, comparison) === undefined
}

/**
 * Which replica files the planner needs hashed under `--compare md5`: those with a
 * same-size source file at the same path (equal size, so only the hash can tell), and
 * replica-only files whose size matches a source file the replica lacks (possible
 * renames). Others differ by size or are simply deleted, so hashing them is wasted work.
 * On a replica that ignores case, a twin is the source file of the same name in any case.
 */
export function replicaFilesToHash(source: Manifest, replica: Manifest, comparison?: Comparison): (entry: Entry) => boolean {
  const key = comparison?.caseSensitive === false ? foldCase : (path: string) => path
  const sourceFiles = new Map<string, Entry>()
  for (const e of source.entries) if (e.type === 'file') sourceFiles.set(key(e.path), e)
  const replicaPaths = new Set(replica.entries.map((e) => key(e.path)))
  const missingSizes = new Set<number>()
  for (const [path, e] of sourceFiles) if (!replicaPaths.has(path)) missingSizes.add(e.size)

  return (entry) => {
    const twin = sourceFiles.get(key(entry.path))
    if (twin) return twin.size === entry.size
    return missingSizes.has(entry.size)
  }
}
