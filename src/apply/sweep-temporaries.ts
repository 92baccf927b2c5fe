import {lstat, readdir, unlink} from 'node:fs/promises'

import {baseName, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'
import {RootedTree} from './rooted-tree.js'

/**
 * Removes temporaries left by an interrupted apply. Only files and links with treesync's
 * temporary name shape are touched, and only through real directories of the replica
 * (never through a symlink, which could point anywhere). Failures are ignored: the next
 * run tries again.
 */
export async function sweepTemporaries(replicaRoot: string, paths: readonly string[]): Promise<number> {
  const tree = new RootedTree(replicaRoot)
  let removed = 0
  for (const path of paths) {
    if (!isTempName(baseName(path))) continue
    try {
      await tree.assertContained(path)
      const st = await lstat(tree.abs(path))
      if (st.isDirectory()) continue
      await unlink(tree.abs(path))
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
 * or reached through a symlink is passed over.
 */
export async function findTemporariesIn(replicaRoot: string, dirs: Iterable<string>): Promise<string[]> {
  const tree = new RootedTree(replicaRoot)
  const found: string[] = []
  for (const dir of new Set(dirs)) {
    try {
      await tree.assertDirectoryContained(dir)
      for (const name of await readdir(tree.abs(dir))) if (isTempName(name)) found.push(joinPath(dir, name))
    } catch {
      // Nothing to sweep there now.
    }
  }
  return found
}
