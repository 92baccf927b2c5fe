import {lstat, readdir, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {baseName, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'

/**
 * Removes temporaries left by an interrupted apply (found by the replica scan). Only
 * files and links with treesync's temporary name shape are touched; failures are
 * ignored, the next run tries again.
 */
export async function sweepTemporaries(replicaRoot: string, paths: readonly string[]): Promise<number> {
  let removed = 0
  for (const path of paths) {
    if (!isTempName(baseName(path))) continue
    const abs = join(replicaRoot, path)
    try {
      const st = await lstat(abs)
      if (st.isDirectory()) continue
      await unlink(abs)
      removed++
    } catch {
      // Already gone, or not removable now: harmless, retried next run.
    }
  }
  return removed
}

/**
 * Finds treesync temporaries directly inside the given replica directories (used when a
 * saved plan is applied without a fresh scan). Unreadable directories are passed over.
 */
export async function findTemporariesIn(replicaRoot: string, dirs: Iterable<string>): Promise<string[]> {
  const found: string[] = []
  for (const dir of new Set(dirs)) {
    try {
      for (const name of await readdir(join(replicaRoot, dir))) if (isTempName(name)) found.push(joinPath(dir, name))
    } catch {
      // Missing or unreadable: nothing to sweep there now.
    }
  }
  return found
}
