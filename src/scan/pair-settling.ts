import {entriesMatch, type Comparison} from '../plan/equality.js'
import {foldCase} from '../plan/replica-limits.js'
import type {Entry} from '../tree/entry.js'

/**
 * Which pairs a pair scan may leave out of both manifests: pure rules shared by the local
 * scanner (directory-pair-scanner.ts) and the scan over any two Backends
 * (scan-backend-pair.ts), so both leave out exactly the same pairs.
 */

/**
 * Source paths of one directory that share a name but for case: on a replica that ignores
 * case the planner must see all of them, even one already in place, to know which one
 * takes the name.
 */
export function namesClashingByCase(entries: readonly Entry[]): Set<string> {
  const byName = new Map<string, string[]>()
  for (const e of entries) {
    const key = foldCase(e.path)
    byName.set(key, [...(byName.get(key) ?? []), e.path])
  }
  return new Set([...byName.values()].filter((paths) => paths.length > 1).flat())
}

/** Whether a pair needs no operation at all, so the planner need not see it. */
export function isSettled(src: Entry, rep: Entry, comparison: Comparison): boolean {
  if (src.unreadable || rep.unreadable || src.type !== rep.type || src.type === 'dir') return false
  if (comparison.compare === 'md5' && src.type === 'file' && (src.md5 === undefined || rep.md5 === undefined)) return false
  return entriesMatch(src, rep, comparison)
}
