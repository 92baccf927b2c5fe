import type {Entry} from '../tree/entry.js'
import {contentDifference, metadataDifference, type Comparison} from './equality.js'
import type {Operation, Reason, ReplicaState} from './operation.js'

/**
 * Per-path decisions of the planner: small pure functions, one per case of the
 * merge-walk (source only, replica only, both). They return operations in no particular
 * order; ordering is a separate pass.
 */

/** The replica entry as a plan records it: what apply expects to find there. */
export function replicaStateOf(entry: Entry): ReplicaState {
  switch (entry.type) {
    case 'file':
      return {type: 'file', size: entry.size, mtimeMs: entry.mtimeMs, mode: entry.mode, ...(entry.md5 ? {md5: entry.md5} : {})}
    case 'symlink':
      return {type: 'symlink', target: entry.target ?? ''}
    case 'dir':
      return {type: 'dir', mtimeMs: entry.mtimeMs, mode: entry.mode}
  }
}

/** The operation that makes a source entry appear in the replica. */
export function creationOf(src: Entry, reason: Reason): Operation {
  switch (src.type) {
    case 'dir':
      return {op: 'mkdir', path: src.path, reason, mode: src.mode, mtimeMs: src.mtimeMs}
    case 'symlink':
      return {op: 'create', path: src.path, type: 'symlink', target: src.target ?? '', reason}
    case 'file':
      return {op: 'create', path: src.path, type: 'file', reason, ...fileAttributes(src)}
  }
}

/** The operation that removes one replica entry (its children are decided separately). */
export function removalOf(rep: Entry, reason: Reason): Operation {
  const replica = replicaStateOf(rep)
  return rep.type === 'dir'
    ? {op: 'rmdir', path: rep.path, reason, replica}
    : {op: 'delete', path: rep.path, type: rep.type, reason, replica}
}

/** Operations for a path present on both sides: none, an update, a meta fix, or a type change. */
export function reconcile(src: Entry, rep: Entry, comparison: Comparison): Operation[] {
  if (src.type !== rep.type) return [removalOf(rep, 'type'), creationOf(src, 'type')]
  switch (src.type) {
    case 'dir':
      return metaFix(src, rep, comparison)
    case 'symlink':
      return src.target === rep.target
        ? []
        : [{op: 'update', path: src.path, type: 'symlink', target: src.target ?? '', reason: 'target', replica: replicaStateOf(rep)}]
    case 'file': {
      const reason = contentDifference(src, rep, comparison)
      return reason === undefined
        ? metaFix(src, rep, comparison)
        : [{op: 'update', path: src.path, type: 'file', reason, ...fileAttributes(src), replica: replicaStateOf(rep)}]
    }
  }
}

function metaFix(src: Entry, rep: Entry, comparison: Comparison): Operation[] {
  const reason: Reason | undefined = metadataDifference(src, rep, comparison)
  if (reason === undefined || src.type === 'symlink') return []
  return [{op: 'meta', path: src.path, type: src.type, reason, mode: src.mode, mtimeMs: src.mtimeMs, replica: replicaStateOf(rep)}]
}

function fileAttributes(src: Entry): {size: number; md5?: string; mode: number; mtimeMs: number} {
  return {size: src.size, ...(src.md5 ? {md5: src.md5} : {}), mode: src.mode, mtimeMs: src.mtimeMs}
}
