import type {Entry, Manifest} from '../tree/entry.js'

/**
 * Which replica files the planner needs hashed under `--compare md5`: those with a
 * same-size source file at the same path (equal size, so only the hash can tell), and
 * replica-only files whose size matches a source file the replica lacks (possible
 * renames). Others differ by size or are simply deleted, so hashing them is wasted work.
 */
export function replicaFilesToHash(source: Manifest, replica: Manifest): (entry: Entry) => boolean {
  const sourceFiles = new Map<string, Entry>()
  for (const e of source.entries) if (e.type === 'file') sourceFiles.set(e.path, e)
  const replicaPaths = new Set(replica.entries.map((e) => e.path))
  const missingSizes = new Set<number>()
  for (const e of sourceFiles.values()) if (!replicaPaths.has(e.path)) missingSizes.add(e.size)

  return (entry) => {
    const twin = sourceFiles.get(entry.path)
    if (twin) return twin.size === entry.size
    return missingSizes.has(entry.size)
  }
}
