import type {Entry} from '../tree/entry.js'
import {mergeByPath} from '../tree/merge-by-path.js'
import {ancestorsOf, isInside} from '../tree/paths.js'
import {creationOf, reconcile, removalOf} from './decide.js'
import type {Comparison} from './equality.js'
import type {Operation} from './operation.js'
import type {PlanWarning} from './plan.js'

/** Unordered operations and the paths left alone, from a merge-walk of two manifests. */
export interface ManifestDiff {
  operations: Operation[]
  warnings: PlanWarning[]
}

/**
 * Merge-walks two manifests sorted by `comparePaths` and decides each path. A subtree
 * that either side could not read is left alone entirely: the replica keeps whatever it
 * has there, so nothing is deleted because the scanner could not see it. Excluded replica
 * entries are likewise never touched. Directories holding either are kept too (not
 * removed, not replaced by another kind).
 */
export function diffManifests(
  source: readonly Entry[],
  replica: readonly Entry[],
  comparison: Comparison,
  replicaExcluded: readonly string[] = [],
): ManifestDiff {
  const operations: Operation[] = []
  const warnings: PlanWarning[] = []
  let skipRoot: string | undefined
  const kept: string[] = [...replicaExcluded]
  const leftAlone = new Set(replicaExcluded)
  mergeByPath(source, replica, (src, rep) => {
    const path = (src ?? rep)!.path
    if (skipRoot !== undefined && isInside(path, skipRoot)) return
    if (src && !rep && leftAlone.has(path)) {
      // The replica holds something treesync never touches here (a FIFO, a socket, a
      // device): creating the entry would fail on every run, so say why it is not copied.
      skipRoot = path
      warnings.push({path, message: 'not copied: the replica holds a special file (FIFO, socket or device) or an excluded entry here; remove it to sync this path'})
      return
    }
    if (src?.unreadable || rep?.unreadable) {
      skipRoot = path
      kept.push(path)
      const side = src?.unreadable ? 'source' : 'replica'
      warnings.push({path, message: `left unchanged: the ${side} entry could not be read`})
      return
    }
    if (src && rep) operations.push(...reconcile(src, rep, comparison))
    else if (src) operations.push(creationOf(src, 'missing'))
    else if (rep) operations.push(removalOf(rep, 'extra'))
  })
  return kept.length === 0 ? {operations, warnings} : keepAncestors(operations, warnings, kept)
}

/** Drops removals and replacements of directories that hold an entry left alone. */
function keepAncestors(operations: Operation[], warnings: PlanWarning[], kept: readonly string[]): ManifestDiff {
  // Excluded entries are listed from the start, unreadable ones as met; keep order stable.
  const pinned = new Set(kept.flatMap(ancestorsOf))
  const blocked = (op: Operation): boolean =>
    pinned.has(op.path) && (op.op === 'rmdir' || ((op.op === 'create' || op.op === 'mkdir') && op.reason === 'type'))
  const dropped = operations.filter((op) => op.op === 'rmdir' && blocked(op))
  for (const op of dropped) warnings.push({path: op.path, message: 'left in place: it holds an entry that is excluded or could not be read'})
  return {operations: operations.filter((op) => !blocked(op)), warnings}
}
