import {describeFsError, TreesyncError} from '../errors.js'
import type {Entry, Manifest} from '../tree/entry.js'
import type {ExcludeFn} from '../filter/exclude-filter.js'
import {checkRoot, listDirectory} from '../backend/local/list-directory.js'
import {comparePaths} from '../tree/paths.js'

/** How `scanTree` walks a tree: what to leave out, and whether the root may be missing. */
export interface ScanTreeOptions {
  exclude?: ExcludeFn
  /** A missing root gives an empty manifest instead of an error (the replica). */
  allowMissing?: boolean
}

/**
 * Walks one tree into a full manifest without following symlinks: the library's plain
 * scan (planning uses scanPair, which scans both trees side by side). Per-entry problems
 * become warnings; an unreadable directory is kept, marked `unreadable`, so nothing under
 * it is ever deleted on the other side because the scanner could not see it. Files are
 * not hashed here.
 */
export async function scanTree(root: string, options: ScanTreeOptions = {}): Promise<Manifest> {
  const manifest: Manifest = {root, exists: true, entries: [], warnings: [], temporaries: [], excluded: []}
  if (!checkRoot(root, options.allowMissing ?? false)) return {...manifest, exists: false}
  const dirs = new Map<string, Entry>()
  const queue = ['']
  for (let dir = queue.pop(); dir !== undefined; dir = queue.pop()) {
    let listing
    try {
      listing = listDirectory(root, dir, options.exclude)
    } catch (error) {
      if (dir === '') throw new TreesyncError('BAD_INPUT', `cannot read ${root}: ${describeFsError(error)}`, root)
      manifest.warnings.push({path: dir, message: `cannot read directory: ${describeFsError(error)}`, level: 'error'})
      dirs.get(dir)!.unreadable = true
      continue
    }
    for (const e of listing.entries) {
      manifest.entries.push(e)
      if (e.type !== 'dir' || e.unreadable) continue
      dirs.set(e.path, e)
      queue.push(e.path)
    }
    for (const w of listing.warnings) manifest.warnings.push(w)
    for (const t of listing.temporaries) manifest.temporaries.push(t)
    for (const x of listing.excluded) manifest.excluded.push(x)
  }
  sortManifest(manifest)
  return manifest
}

/** Puts a manifest's lists in path order, as the planner and renderers expect them. */
export function sortManifest(manifest: Manifest): void {
  manifest.entries.sort((a, b) => comparePaths(a.path, b.path))
  manifest.warnings.sort((a, b) => comparePaths(a.path, b.path))
  manifest.temporaries.sort(comparePaths)
  manifest.excluded.sort(comparePaths)
}
