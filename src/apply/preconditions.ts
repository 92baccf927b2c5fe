import type {BigIntStats} from 'node:fs'

import {TreesyncError} from '../errors.js'
import type {EntryType} from '../tree/entry.js'
import type {FileAttributes, ReplicaState} from '../plan/operation.js'

const NS_PER_MS = 1_000_000n

/** The entry type of an lstat result, or `other` for FIFOs, sockets and devices. */
export function typeOfStats(st: BigIntStats): EntryType | 'other' {
  if (st.isFile()) return 'file'
  if (st.isDirectory()) return 'dir'
  if (st.isSymbolicLink()) return 'symlink'
  return 'other'
}

/** Whole-millisecond mtime of an lstat result. */
export function mtimeMsOf(st: BigIntStats): number {
  return Number(st.mtimeNs / NS_PER_MS)
}

/** Permission bits (`mode & 0o7777`) of an lstat result, as plans record them. */
export function permissionBits(st: BigIntStats): number {
  return Number(st.mode & 0o7777n)
}

/**
 * What differs between a replica entry now and what the plan recorded, or undefined when
 * it is as planned. Compares type, size and mtime (and link target): enough to notice a
 * change without re-reading every file.
 */
export function replicaDrift(st: BigIntStats | undefined, expected: ReplicaState, target?: string): string | undefined {
  if (!st) return 'it no longer exists'
  const type = typeOfStats(st)
  if (type !== expected.type) return `it is now a ${type}, planned as a ${expected.type}`
  if (expected.type === 'file') {
    if (expected.size !== undefined && Number(st.size) !== expected.size) return 'its size changed'
    if (expected.mtimeMs !== undefined && mtimeMsOf(st) !== expected.mtimeMs) return 'its mtime changed'
  }
  if (expected.type === 'symlink' && target !== undefined && target !== expected.target) return 'its target changed'
  return undefined
}

/** Throws a stale error when a replica entry is not what the plan saw. */
export function assertReplicaState(path: string, st: BigIntStats | undefined, expected: ReplicaState, target?: string): void {
  const drift = replicaDrift(st, expected, target)
  if (drift) throw new TreesyncError('PLAN_STALE', `replica entry changed since the plan was made: ${drift}`, path)
}

/** Throws when something exists where the plan expects nothing. */
export function assertAbsent(path: string, st: BigIntStats | undefined): void {
  if (st) throw new TreesyncError('PLAN_STALE', `replica entry appeared since the plan was made`, path)
}

/**
 * What differs between a source file now and the attributes the plan copies, if anything.
 * The size is compared when the plan recorded one.
 */
export function sourceDrift(st: BigIntStats | undefined, expected: Pick<FileAttributes, 'mtimeMs'> & {size?: number}): string | undefined {
  if (!st) return 'it no longer exists'
  if (!st.isFile()) return `it is now a ${typeOfStats(st)}`
  if (expected.size !== undefined && Number(st.size) !== expected.size) return 'its size changed'
  if (mtimeMsOf(st) !== expected.mtimeMs) return 'its mtime changed'
  return undefined
}
