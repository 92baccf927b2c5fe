import type {ListedEntry} from '../backend/backend.js'
import type {ExcludeFn} from '../filter/exclude-filter.js'
import type {Entry, ScanWarning} from '../tree/entry.js'
import {comparePaths, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'
import {identityFieldsOf} from './backend-hash-identity.js'

/** One directory of a tree listed through a Backend, as the scan records it. */
export interface BackendListing {
  /** Entries sorted by path (`comparePaths`). */
  entries: Entry[]
  warnings: ScanWarning[]
  /** Leftover treesync temporaries: never user entries; apply sweeps them. */
  temporaries: string[]
  /** Excluded entries and special files: never copied, never deleted. */
  excluded: string[]
  /** Files whose MD5 came with the listing (`capabilities.freeHashes`): not worth a cache record. */
  freeHashes: Set<Entry>
}

/** How listed entries become scan entries. */
export interface ListingOptions {
  exclude: ExcludeFn | undefined
  /** Take the MD5s a listing brings (under `--compare md5`; size-mtime plans carry none). */
  takeFreeHashes: boolean
  /** Give files their hash-cache identity (see backend-hash-identity.ts). */
  withIdentity: boolean
}

const NS_PER_MS = 1_000_000n

/**
 * Sorts one directory's listing the way the local scanner does (list-directory.ts):
 * treesync's temporaries are recorded, not listed; excluded names are left out (a
 * directory's subtree with it); FIFOs, sockets and devices are warned about and left out
 * like excluded entries, so they are never deleted either.
 */
export function listingOf(dir: string, listed: readonly ListedEntry[], options: ListingOptions): BackendListing {
  const listing: BackendListing = {entries: [], warnings: [], temporaries: [], excluded: [], freeHashes: new Set()}
  for (const item of listed) {
    if (!isPlainName(item.name)) {
      // Only a broken or hostile server sends one: joined to a path, `../x` would point out of the tree.
      listing.warnings.push({path: dir, message: `skipped a name the server listed that no file can have: ${JSON.stringify(item.name)}`, level: 'error'})
      continue
    }
    const path = joinPath(dir, item.name)
    if (isTempName(item.name)) listing.temporaries.push(path)
    else if (options.exclude?.(path, item.type === 'dir')) listing.excluded.push(path)
    else if (item.type === 'other') {
      listing.warnings.push({path, message: 'skipped: not a regular file, directory or symlink'})
      listing.excluded.push(path)
    } else {
      const entry = entryOfListed(path, item as ListedEntry & {type: Entry['type']}, options.withIdentity)
      if (item.type === 'symlink' && item.target === undefined) {
        listing.warnings.push({path, message: 'cannot read symlink: the backend gave no target', level: 'error'})
        entry.unreadable = true
      }
      if (options.takeFreeHashes && item.type === 'file' && item.md5 !== undefined) {
        entry.md5 = item.md5
        listing.freeHashes.add(entry)
      }
      listing.entries.push(entry)
    }
  }
  listing.entries.sort((a, b) => comparePaths(a.path, b.path))
  return listing
}

const DEFAULT_FILE_MODE = 0o644
const DEFAULT_DIR_MODE = 0o755

/**
 * A listed entry as the planner sees it, with the fields the local scanner gives
 * (entryOf in list-directory.ts): a file's size, a symlink's target length in UTF-8
 * bytes, 0 for a directory; whole-millisecond mtimes; mode 0 for symlinks. Where the
 * backend keeps no modes (S3) the comparison ignores them, but a replica that keeps them
 * is given what a new file or folder gets under the usual umask, as rclone does: 0644 and
 * 0755, never 0 (an unreadable copy).
 */
export function entryOfListed(path: string, item: ListedEntry & {type: Entry['type']}, withIdentity: boolean): Entry {
  const entry: Entry = {
    path,
    type: item.type,
    size: item.type === 'file' ? item.size : item.type === 'symlink' ? targetBytes(item) : 0,
    mtimeMs: Number(item.mtimeNs / NS_PER_MS),
    mode: item.type === 'symlink' ? 0 : (item.mode ?? (item.type === 'dir' ? DEFAULT_DIR_MODE : DEFAULT_FILE_MODE)),
  }
  if (item.type === 'symlink' && item.target !== undefined) entry.target = item.target
  if (item.type === 'file' && withIdentity) Object.assign(entry, identityFieldsOf(item))
  return entry
}

/** A name one directory entry can have: not empty, `.` or `..`, and without `/` or NUL. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0')
}

function targetBytes(item: ListedEntry): number {
  return item.target === undefined ? item.size : Buffer.byteLength(item.target, 'utf8')
}
