import type {Entry, EntryType, Manifest, Operation, ReplicaState} from '../../src/index.js'
import {comparePaths} from '../../src/index.js'

/** One entry of the in-memory replica: what a sync must make equal to the source. */
export interface ModelEntry {
  type: EntryType
  size: number
  md5?: string
  mode: number
  mtimeMs: number
  target?: string
}

/** An in-memory replica: relative path → entry. The root directory is implicit. */
export type Model = Map<string, ModelEntry>

/** The model of a manifest's entries. */
export function modelOf(manifest: Manifest): Model {
  const model: Model = new Map()
  for (const e of manifest.entries) {
    model.set(e.path, {type: e.type, size: e.size, mode: e.mode, mtimeMs: e.mtimeMs, ...(e.md5 ? {md5: e.md5} : {}), ...(e.target !== undefined ? {target: e.target} : {})})
  }
  return model
}

/** A manifest of the model, sorted like a scan, so it can be planned against again. */
export function manifestOf(model: Model, root: string): Manifest {
  const entries: Entry[] = [...model].map(([path, e]) => ({path, ...e}))
  entries.sort((a, b) => comparePaths(a.path, b.path))
  return {root, exists: true, entries, warnings: [], temporaries: [], excluded: []}
}

/**
 * Applies operations in order to a copy of the replica's model, throwing as soon as one is
 * not applicable where it stands: its parent missing, its path occupied (create, mkdir,
 * rename target) or absent (update, meta, delete, rmdir, rename source), a directory
 * removed while not empty, or an entry unlike the one the operation says it replaces.
 */
export function simulate(replica: Manifest, operations: readonly Operation[]): Model {
  const model = modelOf(replica)
  operations.forEach((op, index) => {
    const fail = (problem: string): never => {
      throw new Error(`operation #${index} ${op.op} ${JSON.stringify(op.path)}: ${problem}`)
    }
    const parentIsDir = (path: string): boolean => {
      const slash = path.lastIndexOf('/')
      return slash < 0 || model.get(path.slice(0, slash))?.type === 'dir'
    }
    const expectAbsent = (path: string): void => {
      if (model.has(path)) fail(`${JSON.stringify(path)} is still occupied by a ${model.get(path)!.type}`)
      if (!parentIsDir(path)) fail(`the parent of ${JSON.stringify(path)} is not a directory yet`)
    }
    const expectEntry = (path: string, type: EntryType, state: ReplicaState): ModelEntry => {
      const entry = model.get(path) ?? fail(`${JSON.stringify(path)} is absent`)
      if (entry.type !== type || state.type !== type) fail(`${JSON.stringify(path)} is a ${entry.type}, the plan says ${type} (replica ${state.type})`)
      const mismatch = (['size', 'md5', 'mode', 'mtimeMs', 'target'] as const).find((key) => state[key] !== undefined && state[key] !== entry[key])
      if (mismatch) fail(`${mismatch} is ${String(entry[mismatch])}, the plan expected ${String(state[mismatch])}`)
      return entry
    }

    switch (op.op) {
      case 'mkdir':
        expectAbsent(op.path)
        model.set(op.path, {type: 'dir', size: 0, mode: op.mode, mtimeMs: op.mtimeMs})
        break
      case 'create':
        expectAbsent(op.path)
        model.set(op.path, op.type === 'file' ? fileOf(op) : linkOf(op.target))
        break
      case 'update':
        expectEntry(op.path, op.type, op.replica)
        model.set(op.path, op.type === 'file' ? fileOf(op) : linkOf(op.target))
        break
      case 'meta': {
        const entry = expectEntry(op.path, op.type, op.replica)
        model.set(op.path, {...entry, mode: op.mode, mtimeMs: op.mtimeMs})
        break
      }
      case 'rename': {
        const entry = expectEntry(op.from, 'file', op.replica)
        if (entry.size !== op.size || entry.md5 === undefined || entry.md5 !== op.md5) fail(`${JSON.stringify(op.from)} does not hold the content needed`)
        expectAbsent(op.path)
        model.delete(op.from)
        model.set(op.path, {...entry, mode: op.mode, mtimeMs: op.mtimeMs})
        break
      }
      case 'delete':
        expectEntry(op.path, op.type, op.replica)
        model.delete(op.path)
        break
      case 'rmdir': {
        expectEntry(op.path, 'dir', op.replica)
        const child = [...model.keys()].find((p) => p.startsWith(`${op.path}/`))
        if (child !== undefined) fail(`directory still holds ${JSON.stringify(child)}`)
        model.delete(op.path)
        break
      }
    }
  })
  return model
}

function fileOf(op: {size: number; md5?: string; mode: number; mtimeMs: number}): ModelEntry {
  return {type: 'file', size: op.size, mode: op.mode, mtimeMs: op.mtimeMs, ...(op.md5 ? {md5: op.md5} : {})}
}

function linkOf(target: string): ModelEntry {
  return {type: 'symlink', size: target.length, mode: 0, mtimeMs: 0, target}
}
