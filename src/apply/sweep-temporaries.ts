import type {Backend} from '../backend/backend.js'
import {LocalBackend} from '../backend/local/local-backend.js'
import {baseName, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'

/**
 * Removes temporaries left by an interrupted apply. Only files and links with treesync's
 * temporary name shape are touched, and only through real directories of the replica
 * (never through a symlink, which could point anywhere: the backend refuses). Failures
 * are ignored: the next run tries again. `replica`: a backend, or a local folder's path.
 */
export async function sweepTemporaries(replica: Backend | string, paths: readonly string[]): Promise<number> {
  const tree = typeof replica === 'string' ? new LocalBackend(replica) : replica
  let removed = 0
  for (const path of paths) {
    if (!isTempName(baseName(path))) continue
    try {
      const entry = await tree.stat(path)
      if (entry?.type !== 'file' && entry?.type !== 'symlink') continue
      await tree.remove(path, {type: entry.type})
      removed++
    } catch {
      // Gone, not removable now, or behind a symlink: harmless, retried next run.
    }
  }
  return removed
}

/**
 * Finds treesync temporaries directly inside the given replica directories (used when a
 * saved plan is applied without a fresh scan). A directory that is missing, unreadable,
 * or reached through a symlink is passed over. `replica`: a backend, or a local folder's path.
 */
export async function findTemporariesIn(replica: Backend | string, dirs: Iterable<string>): Promise<string[]> {
  const tree = typeof replica === 'string' ? new LocalBackend(replica) : replica
  const found: string[] = []
  for (const dir of new Set(dirs)) {
    try {
      for (const {name} of await tree.list(dir)) if (isTempName(name)) found.push(joinPath(dir, name))
    } catch {
      // Nothing to sweep there now.
    }
  }
  return found
}
