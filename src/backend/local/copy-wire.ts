import {isTreesyncError, TreesyncError, type ErrorCode} from '../../errors.js'
import type {CopyJob} from './copy-into-place.js'

/** The replica a copy worker writes to, given when it starts. */
export interface CopyRoots {
  replica: string
  /** See `CopyContext.mtimeAfterRename`. */
  mtimeAfterRename: boolean
}

/** Main thread → worker: copies to make, in order, each from a file under `sourceRoot`. */
export interface CopyBatch {
  jobs: Array<{id: number; sourceRoot: string; job: CopyJob}>
}

/** Worker → main thread: outcomes of some of the jobs sent. */
export interface CopyOutcomes {
  outcomes: Array<{id: number; error?: WireError}>
}

/** An error as it crosses the thread boundary (custom fields do not survive cloning). */
export type WireError =
  | {kind: 'treesync'; code: ErrorCode; message: string; path?: string}
  | {kind: 'fs'; message: string; code?: string; errno?: number; syscall?: string; path?: string; dest?: string}

/** An error thrown in a worker, as it is posted. */
export function toWire(error: unknown): WireError {
  if (isTreesyncError(error)) return {kind: 'treesync', code: error.code, message: error.message, path: error.path}
  const e = error as NodeJS.ErrnoException & {dest?: string}
  return {kind: 'fs', message: e?.message ?? String(error), code: e?.code, errno: e?.errno, syscall: e?.syscall, path: e?.path, dest: e?.dest}
}

/** The error to reject with on the main thread: a `TreesyncError` again, or an fs error. */
export function fromWire(wire: WireError): Error {
  if (wire.kind === 'treesync') return new TreesyncError(wire.code, wire.message, wire.path)
  return Object.assign(new Error(wire.message), {code: wire.code, errno: wire.errno, syscall: wire.syscall, path: wire.path, dest: wire.dest})
}
