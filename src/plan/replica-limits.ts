import type {Capabilities} from '../backend/capabilities.js'
import type {Entry} from '../tree/entry.js'
import {ancestorsOf, baseName, comparePaths, joinPath, parentPath} from '../tree/paths.js'
import type {PlanWarning} from './plan.js'

/** The two entry lists as the replica can hold them, and what could not be. */
export interface FittedEntries {
  source: Entry[]
  replica: Entry[]
  warnings: PlanWarning[]
}

/**
 * Fits the source to what the replica can hold, before the merge-walk. Without symlinks
 * (FAT, S3) a source symlink is left out with a warning, and whatever the replica has at
 * its path is left alone. On a case-insensitive replica (FAT, exFAT, macOS) names are
 * matched regardless of case, as the replica itself matches them: a replica entry takes
 * the spelling of its source counterpart, and of the first of two source names that differ
 * only by case; the second is left out with a warning. Otherwise each run would plan a
 * change that can never stick.
 */
export function fitToReplica(source: readonly Entry[], replica: readonly Entry[], capabilities: Capabilities): FittedEntries {
  const warnings: PlanWarning[] = []
  const dropped = new Set<string>()
  const isDropped = (path: string) => dropped.size > 0 && (dropped.has(path) || ancestorsOf(path).some((a) => dropped.has(a)))
  const spellings = new Map<string, string>()
  const fitted: Entry[] = []
  for (const entry of source) {
    if (isDropped(entry.path)) continue
    if (entry.type === 'symlink' && !capabilities.symlinks) {
      dropped.add(entry.path)
      warnings.push({path: entry.path, message: 'not synced: the replica cannot hold symbolic links'})
      continue
    }
    if (!capabilities.caseSensitive) {
      const key = foldCase(entry.path)
      const first = spellings.get(key)
      if (first !== undefined) {
        dropped.add(entry.path)
        warnings.push({path: entry.path, message: `not synced: the replica ignores case in names, and ${first} takes that name there`})
        continue
      }
      spellings.set(key, entry.path)
    }
    fitted.push(entry)
  }
  let rekeyed = replica.filter((e) => !isDropped(e.path))
  if (!capabilities.caseSensitive) rekeyed = respell(rekeyed, spellings)
  return {source: fitted, replica: rekeyed, warnings}
}

/** How a case-insensitive filesystem compares names (`A` and `a` are one name). */
export function foldCase(path: string): string {
  return path.toLowerCase()
}

/**
 * Gives each replica entry the spelling of the source path it matches case-insensitively:
 * its own, or its nearest ancestor's (a replica `dir/x` under a source `Dir` is `Dir/x`).
 */
function respell(replica: readonly Entry[], spellings: ReadonlyMap<string, string>): Entry[] {
  const renamedDirs = new Map<string, string>()
  let changed = false
  const out = replica.map((entry) => {
    const parent = parentPath(entry.path)
    const base = parent === '' ? baseName(entry.path) : joinPath(renamedDirs.get(parent) ?? parent, baseName(entry.path))
    const spelled = spellings.get(foldCase(base)) ?? base
    if (entry.type === 'dir') renamedDirs.set(entry.path, spelled)
    if (spelled === entry.path) return entry
    changed = true
    return {...entry, path: spelled}
  })
  return changed ? out.sort((a, b) => comparePaths(a.path, b.path)) : out
}
