import {ancestorsOf, comparePaths} from '../tree/paths.js'
import type {CreateFileOperation, DeleteOperation, Operation, RenameOperation} from './operation.js'

/**
 * Turns a delete + create pair into one rename when the replica's file at a path that is
 * going away already has exactly the content needed elsewhere (same size and MD5), so the
 * data is not copied again. Files only; needs hashes on both sides.
 *
 * A rename target must not lie under any path the plan vacates, nor be a directory the
 * plan removes (whose removal may wait for the very file being moved out of it). Its
 * prerequisites are then only fresh directories and plain deletes, so ordering stays acyclic.
 */
export function pairRenames(operations: readonly Operation[]): Operation[] {
  const vacated = new Set<string>()
  const removedDirs = new Set<string>()
  const candidates = new Map<string, DeleteOperation[]>()
  for (const op of operations) {
    if (op.op !== 'delete' && op.op !== 'rmdir') continue
    vacated.add(op.path)
    if (op.op === 'rmdir') removedDirs.add(op.path)
    if (op.op === 'delete' && op.type === 'file' && op.replica.md5 !== undefined) {
      const key = contentKey(op.replica.size ?? -1, op.replica.md5)
      const list = candidates.get(key) ?? []
      list.push(op)
      candidates.set(key, list)
    }
  }
  if (candidates.size === 0) return [...operations]
  for (const list of candidates.values()) list.sort((a, b) => comparePaths(a.path, b.path))

  const replaced = new Set<Operation>()
  const renames: RenameOperation[] = []
  const creates = operations.filter(
    (op): op is CreateFileOperation => op.op === 'create' && op.type === 'file' && op.md5 !== undefined,
  )
  creates.sort((a, b) => comparePaths(a.path, b.path))
  for (const create of creates) {
    const list = candidates.get(contentKey(create.size, create.md5!))
    if (!list || list.length === 0) continue
    if (removedDirs.has(create.path) || ancestorsOf(create.path).some((dir) => vacated.has(dir))) continue
    const from = list.shift()!
    replaced.add(from).add(create)
    renames.push({
      op: 'rename',
      from: from.path,
      path: create.path,
      type: 'file',
      reason: 'moved',
      size: create.size,
      md5: create.md5,
      mode: create.mode,
      mtimeMs: create.mtimeMs,
      replica: from.replica,
    })
  }
  return [...operations.filter((op) => !replaced.has(op)), ...renames]
}

function contentKey(size: number, md5: string): string {
  return `${size}:${md5}`
}
