import type {Backend} from '../backend/backend.js'
import {openRootBackend} from '../backend/open-roots.js'
import type {RemoteConnections} from '../backend/remote-connections.js'
import {baseName, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'

/**
 * Removes temporaries left by an interrupted apply. Only files and links with treesync's
 * temporary name shape are touched, and only through real directories of the replica
 * (never through a symlink, which could point anywhere: the backend refuses). Failures
 * are ignored: the next run tries again. `replica`: a backend, or a root as a plan names it
 * (a remote one through `remotes`).
 */
export async function sweepTemporaries(replica: Backend | string, paths: readonly string[], remotes?: RemoteConnections): Promise<number> {
  if (paths.length === 0) return 0
  const tree = typeof replica === 'string' ? await openRootBackend(replica, 'replica', {remotes}) : replica
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
  if (tree !== replica) await tree.close()
  return removed
}

/**
 * Finds treesync temporaries directly inside the given replica directories (used when a
 * saved plan is applied without a fresh scan). A directory that is missing, unreadable,
 * or reached through a symlink is passed over. `replica`: a backend, or a root as a plan
 * names it (a remote one through `remotes`).
 */
export async function findTemporariesIn(replica: Backend | string, dirs: Iterable<string>, remotes?: RemoteConnections): Promise<string[]> {
  const tree = typeof replica === 'string' ? await openRootBackend(replica, 'replica', {remotes}) : replica
  const found: string[] = []
  for (const dir of new Set(dirs)) {
    try {
      for (const {name} of await tree.list(dir)) if (isTempName(name)) found.push(joinPath(dir, name))
    } catch {
      // Nothing to sweep there now.
    }
  }
  if (tree !== replica) await tree.close()
  return found
}
