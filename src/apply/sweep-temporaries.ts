import {lstat, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {baseName} from '../tree/paths.js'
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
