import {closeSync, fstatSync, lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats, type Dirent} from 'node:fs'

import {describeFsError, TreesyncError} from '../../errors.js'
import type {ExcludeFn} from '../../filter/exclude-filter.js'
import type {Entry, EntryType, ScanWarning} from '../../tree/entry.js'
import {comparePaths, joinPath} from '../../tree/paths.js'
import {isTempName} from '../../tree/temp-name.js'
import {openForReading} from './hash-sync.js'

/** What one directory holds, as the scanner records it. */
export interface DirectoryListing {
  /** Entries sorted by name (so by `comparePaths` of their paths). */
  entries: Entry[]
  warnings: ScanWarning[]
  /** Leftover treesync temporaries (never user entries). */
  temporaries: string[]
  /** Excluded or skipped entries: never copied, never deleted. */
  excluded: string[]
  /** Regular files the caller asked to open and stat itself (see `listDirectory`'s `defer`). */
  deferred: DeferredFile[]
}

/** A regular file listed but not stat'ed: the caller opens it and stats what it opened. */
export interface DeferredFile {
  path: string
  dirent: Dirent
}

const NS_PER_MS = 1_000_000n

/**
 * Checks that a tree's root is a directory that can be read: true when it is, false when
 * it is missing and `allowMissing` (a replica yet to be created); otherwise a one-line
 * BAD_INPUT error.
 */
export function checkRoot(root: string, allowMissing: boolean): boolean {
  try {
    if (!statSync(root).isDirectory()) throw new TreesyncError('BAD_INPUT', `${root} is not a directory`, root)
    return true
  } catch (error) {
    if (error instanceof TreesyncError) throw error
    if (allowMissing && (error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new TreesyncError('BAD_INPUT', `cannot read ${root}: ${describeFsError(error)}`, root)
  }
}

/**
 * Lists and lstat's one directory of a tree synchronously, without following symlinks.
 * Synchronous on purpose: it runs on scanner threads (or for small trees on the caller's),
 * where a thread-pool round trip per lstat would cost more than the lstat itself.
 * Per-entry problems become warnings; a directory that cannot be listed throws. Regular
 * files whose name `defer` accepts are not stat'ed but handed back in `deferred`: a
 * caller about to read them saves a path lookup by stat'ing what it opens (`fstat`).
 */
export function listDirectory(root: string, dir: string, exclude?: ExcludeFn, defer?: (name: string) => boolean): DirectoryListing {
  const listing: DirectoryListing = {entries: [], warnings: [], temporaries: [], excluded: [], deferred: []}
  // Paths are already normal, so plain concatenation does what path.join would, cheaper.
  const base = dir === '' ? root : `${root}/${dir}`
  const dirents = readdirSync(base, {withFileTypes: true})
  // Decoding replaces bytes that are not UTF-8 with U+FFFD. Only then is the directory
  // listed again as bytes, to tell a mangled name from a real U+FFFD.
  const undecodable = dirents.some((d) => d.name.includes('\uFFFD')) ? undecodableNames(base) : undefined
  for (const dirent of dirents) {
    const path = joinPath(dir, dirent.name)
    if (undecodable?.has(dirent.name)) {
      // Names that are not valid UTF-8 cannot round-trip through JS strings; copying them
      // under a mangled name would be wrong, so they are skipped loudly.
      listing.warnings.push({path, message: 'skipped: file name is not valid UTF-8'})
      listing.excluded.push(path)
    } else if (isTempName(dirent.name)) listing.temporaries.push(path)
    else if (exclude?.(path, dirent.isDirectory())) listing.excluded.push(path)
    else if (defer && dirent.isFile() && defer(dirent.name)) listing.deferred.push({path, dirent})
    else statEntry(root, path, dirent, listing)
  }
  listing.entries.sort((a, b) => comparePaths(a.path, b.path))
  return listing
}

/** The decoded forms of the names in a directory that are not valid UTF-8. */
function undecodableNames(base: string): Set<string> {
  const names = new Set<string>()
  for (const raw of readdirSync(base, {encoding: 'buffer'})) {
    const name = raw.toString('utf8')
    if (!Buffer.from(name, 'utf8').equals(raw)) names.add(name)
  }
  return names
}

/** Adds one listed name to the listing from its lstat (a warning when that fails). */
export function statEntry(root: string, path: string, dirent: Dirent, listing: DirectoryListing): void {
  let st: BigIntStats | undefined
  try {
    st = lstatSync(`${root}/${path}`, {bigint: true, throwIfNoEntry: false})
  } catch (error) {
    listing.warnings.push({path, message: `cannot stat: ${describeFsError(error)}`, level: 'error'})
    listing.entries.push({path, type: direntType(dirent), size: 0, mtimeMs: 0, mode: 0, unreadable: true})
    return
  }
  if (!st) return // vanished since the listing: it is gone

  const type = statType(st)
  if (type === undefined) {
    // Skipped entries are left alone like excluded ones: never deleted, their directory kept.
    listing.warnings.push({path, message: 'skipped: not a regular file, directory or symlink'})
    listing.excluded.push(path)
    return
  }
  const entry = entryOf(path, type, st)
  if (type === 'symlink') readTarget(root, entry, listing)
  listing.entries.push(entry)
}

/** The entry a stat describes (a symlink's target is read separately). */
export function entryOf(path: string, type: EntryType, st: BigIntStats): Entry {
  const entry: Entry = {
    path,
    type,
    size: type === 'file' ? Number(st.size) : 0,
    mtimeMs: Number(st.mtimeNs / NS_PER_MS),
    mode: type === 'symlink' ? 0 : Number(st.mode & 0o7777n),
  }
  if (type === 'file') {
    entry.ino = st.ino
    entry.ctimeNs = st.ctimeNs
    entry.mtimeNs = st.mtimeNs
  }
  return entry
}

function readTarget(root: string, entry: Entry, listing: DirectoryListing): void {
  try {
    const raw = readlinkSync(`${root}/${entry.path}`, {encoding: 'buffer'})
    const target = raw.toString('utf8')
    if (!Buffer.from(target, 'utf8').equals(raw)) {
      listing.warnings.push({path: entry.path, message: 'symlink target is not valid UTF-8'})
      entry.unreadable = true
      return
    }
    entry.target = target
    entry.size = raw.length
  } catch (error) {
    listing.warnings.push({path: entry.path, message: `cannot read symlink: ${describeFsError(error)}`, level: 'error'})
    entry.unreadable = true
  }
}

function statType(st: BigIntStats): EntryType | undefined {
  if (st.isFile()) return 'file'
  if (st.isDirectory()) return 'dir'
  if (st.isSymbolicLink()) return 'symlink'
  return undefined
}

function direntType(dirent: Dirent): EntryType {
  if (dirent.isDirectory()) return 'dir'
  if (dirent.isSymbolicLink()) return 'symlink'
  return 'file'
}

/** A deferred file opened for reading, with the entry its fstat gave. */
export interface OpenedFile {
  fd: number
  entry: Entry
}

/**
 * Opens a file `listDirectory` deferred and lists it from what was opened: the open a hash
 * needs anyway then also serves the stat, one path lookup instead of two. A file that
 * cannot be opened as a regular file is listed by lstat like any other entry, so whatever
 * is wrong with it is reported the usual way (undefined is returned).
 */
export function openDeferred(root: string, file: DeferredFile, listing: DirectoryListing): OpenedFile | undefined {
  let fd: number
  try {
    fd = openForReading(`${root}/${file.path}`)
  } catch {
    statEntry(root, file.path, file.dirent, listing)
    return undefined
  }
  try {
    const st = fstatSync(fd, {bigint: true})
    if (st.isFile()) {
      const entry = entryOf(file.path, 'file', st)
      listing.entries.push(entry)
      return {fd, entry}
    }
  } catch {
    // Reported by the lstat below, or it is gone.
  }
  closeSync(fd)
  statEntry(root, file.path, file.dirent, listing)
  return undefined
}

/** Closes a file the scan opened only to read it: a failing close loses nothing. */
export function closeOpened(opened: OpenedFile | undefined): void {
  try {
    if (opened) closeSync(opened.fd)
  } catch {
    // Nothing was written through it.
  }
}
