import {open} from 'node:fs/promises'
import {join} from 'node:path'

import {createTwoFilesPatch} from 'diff'

import {describeFsError} from '../errors.js'
import type {Plan} from '../plan/plan.js'

/** Files larger than this are not diffed unless asked (`plan --diff-max-bytes`). */
export const DEFAULT_DIFF_MAX_BYTES = 1024 * 1024
/** Like git, a NUL byte in the first 8 KiB marks a file as binary. */
const BINARY_SNIFF_BYTES = 8192

/** What `plan --diff` shows under an update: a patch, or why there is none. */
export type FileDiff =
  | {path: string; kind: 'text'; patch: string}
  | {path: string; kind: 'binary'}
  | {path: string; kind: 'too-large'; maxBytes: number}
  | {path: string; kind: 'unreadable'; error: string}

/**
 * Unified diffs (replica → source) for every file `update` in a plan. Reads both files;
 * never changes anything. Binary files and files over `maxBytes` are named, not diffed.
 */
export async function diffUpdates(plan: Plan, maxBytes = DEFAULT_DIFF_MAX_BYTES): Promise<FileDiff[]> {
  const diffs: FileDiff[] = []
  for (const op of plan.operations) {
    if (op.op !== 'update' || op.type !== 'file') continue
    diffs.push(await diffOne(op.path, join(plan.replica, op.path), join(plan.source, op.path), maxBytes))
  }
  return diffs
}

async function diffOne(path: string, oldAbs: string, newAbs: string, maxBytes: number): Promise<FileDiff> {
  try {
    const [before, after] = await Promise.all([readCapped(oldAbs, maxBytes), readCapped(newAbs, maxBytes)])
    if (before === undefined || after === undefined) return {path, kind: 'too-large', maxBytes}
    if (isBinary(before) || isBinary(after)) return {path, kind: 'binary'}
    const patch = createTwoFilesPatch(`replica/${path}`, `source/${path}`, before.toString('utf8'), after.toString('utf8'), undefined, undefined, {
      context: 3,
    })
    return {path, kind: 'text', patch}
  } catch (error) {
    return {path, kind: 'unreadable', error: describeFsError(error)}
  }
}

/** The file's bytes, or undefined when it is larger than `maxBytes`. */
async function readCapped(abs: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(abs, 'r')
  try {
    const {size} = await handle.stat()
    if (size > maxBytes) return undefined
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

function isBinary(data: Buffer): boolean {
  return data.subarray(0, BINARY_SNIFF_BYTES).includes(0)
}
