import type {EntryType} from '../tree/entry.js'

/** Why an operation is needed (the contract's closed list). */
export type Reason = 'missing' | 'extra' | 'size' | 'content' | 'mtime' | 'mode' | 'type' | 'target' | 'moved'

/**
 * What the replica held at a path when the plan was made. Apply checks it before changing
 * or removing that entry, so a plan never acts on something it did not see.
 */
export interface ReplicaState {
  type: EntryType
  size?: number
  mtimeMs?: number
  mode?: number
  md5?: string
  target?: string
}

/** Attributes of a source file that apply copies (also its staleness precondition). */
export interface FileAttributes {
  size: number
  md5?: string
  mode: number
  mtimeMs: number
}

export interface MkdirOperation {
  op: 'mkdir'
  path: string
  reason: Reason
  mode: number
  mtimeMs: number
}

export interface CreateFileOperation extends FileAttributes {
  op: 'create'
  path: string
  type: 'file'
  reason: Reason
}

export interface CreateSymlinkOperation {
  op: 'create'
  path: string
  type: 'symlink'
  target: string
  reason: Reason
}

export interface UpdateFileOperation extends FileAttributes {
  op: 'update'
  path: string
  type: 'file'
  reason: Reason
  replica: ReplicaState
}

export interface UpdateSymlinkOperation {
  op: 'update'
  path: string
  type: 'symlink'
  target: string
  reason: Reason
  replica: ReplicaState
}

/** Content already equal: only mtime and/or mode are set, no data is copied. */
export interface MetaOperation {
  op: 'meta'
  path: string
  type: 'file' | 'dir'
  reason: Reason
  mode: number
  mtimeMs: number
  replica: ReplicaState
}

/** The replica's file at `from` already has the content needed at `path`: move it. */
export interface RenameOperation extends FileAttributes {
  op: 'rename'
  from: string
  path: string
  type: 'file'
  reason: 'moved'
  replica: ReplicaState
}

export interface DeleteOperation {
  op: 'delete'
  path: string
  type: 'file' | 'symlink'
  reason: Reason
  replica: ReplicaState
}

export interface RmdirOperation {
  op: 'rmdir'
  path: string
  reason: Reason
  replica: ReplicaState
}

/** One step of a plan: a discriminated union on `op`. */
export type Operation =
  | MkdirOperation
  | CreateFileOperation
  | CreateSymlinkOperation
  | UpdateFileOperation
  | UpdateSymlinkOperation
  | MetaOperation
  | RenameOperation
  | DeleteOperation
  | RmdirOperation

export type OperationKind = Operation['op']

/** Every op name, in the order summaries list them. */
export const OPERATION_KINDS: readonly OperationKind[] = Object.freeze([
  'create',
  'update',
  'delete',
  'mkdir',
  'rmdir',
  'meta',
  'rename',
])

/** True for operations that remove an entry from the replica. */
export function isRemoval(op: Operation): op is DeleteOperation | RmdirOperation {
  return op.op === 'delete' || op.op === 'rmdir'
}

/** True for operations that copy file data from the source. */
export function copiesData(op: Operation): op is CreateFileOperation | UpdateFileOperation {
  return (op.op === 'create' || op.op === 'update') && op.type === 'file'
}
