import {comparePaths, depthOf, parentPath} from '../tree/paths.js'
import {MinHeap} from '../util/min-heap.js'
import type {Operation} from './operation.js'

/** Reading order when dependencies allow: make room, move, copy, fix, then remove. */
const RANK: Record<Operation['op'], number> = {mkdir: 0, rename: 1, create: 2, update: 2, meta: 3, delete: 4, rmdir: 5}

/**
 * Orders operations so that each can run once those before it are done:
 * - an entry is created only after its parent directory exists and after whatever the
 *   replica held at its path (another kind of entry) is gone;
 * - a directory is removed only after everything in it is removed or moved away;
 * - directory metadata comes last, deepest first, because changing a directory's
 *   entries changes its mtime.
 * Among ready operations the lowest (rank, path) goes first, so output is deterministic.
 */
export function orderOperations(operations: readonly Operation[]): Operation[] {
  const isDirMeta = (op: Operation): boolean => op.op === 'meta' && op.type === 'dir'
  const ops = operations.filter((op) => !isDirMeta(op))
  const dirMetas = operations
    .filter(isDirMeta)
    .sort((a, b) => depthOf(b.path) - depthOf(a.path) || comparePaths(a.path, b.path))

  const n = ops.length
  const byPath = ops.map((_, i) => i).sort((a, b) => comparePaths(ops[a]!.path, ops[b]!.path))
  const key = new Array<number>(n)
  byPath.forEach((opIndex, position) => {
    const op = ops[opIndex]!
    // rmdirs go deepest first: reverse path order puts a directory's children before it.
    const seq = op.op === 'rmdir' ? n - 1 - position : position
    key[opIndex] = RANK[op.op] * n + seq
  })

  const mkdirAt = new Map<string, number>()
  const vacateAt = new Map<string, number>()
  const vacatesIn = new Map<string, number[]>()
  const vacate = (path: string, i: number): void => {
    vacateAt.set(path, i)
    const parent = parentPath(path)
    const list = vacatesIn.get(parent) ?? []
    list.push(i)
    vacatesIn.set(parent, list)
  }
  ops.forEach((op, i) => {
    if (op.op === 'mkdir') mkdirAt.set(op.path, i)
    else if (op.op === 'delete' || op.op === 'rmdir') vacate(op.path, i)
    else if (op.op === 'rename') vacate(op.from, i)
  })

  const dependents: number[][] = ops.map(() => [])
  const pending = new Array<number>(n).fill(0)
  const needs = (before: number | undefined, after: number): void => {
    if (before === undefined || before === after) return
    dependents[before]!.push(after)
    pending[after]!++
  }
  ops.forEach((op, i) => {
    if (op.op === 'mkdir' || op.op === 'create' || op.op === 'rename') {
      needs(mkdirAt.get(parentPath(op.path)), i)
      needs(vacateAt.get(op.path), i)
    } else if (op.op === 'rmdir') {
      for (const child of vacatesIn.get(op.path) ?? []) needs(child, i)
    }
  })

  const indexOfKey = new Map<number, number>()
  const ready = new MinHeap()
  ops.forEach((_, i) => {
    indexOfKey.set(key[i]!, i)
    if (pending[i] === 0) ready.push(key[i]!)
  })
  const ordered: Operation[] = []
  while (ready.size > 0) {
    const i = indexOfKey.get(ready.pop()!)!
    ordered.push(ops[i]!)
    for (const next of dependents[i]!) if (--pending[next]! === 0) ready.push(key[next]!)
  }
  if (ordered.length !== n) throw new Error('internal error: plan operations have a dependency cycle')
  return [...ordered, ...dirMetas]
}
