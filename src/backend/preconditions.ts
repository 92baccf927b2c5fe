import {TreesyncError} from '../errors.js'
import {ABSENT, type BackendEntry, type ExpectedEntry, type ExpectedState} from './backend.js'

const NS_PER_MS = 1_000_000n

/** Whole-millisecond mtime of an entry, as plans record mtimes. */
export function mtimeMsOf(entry: Pick<BackendEntry, 'mtimeNs'>): number {
  return Number(entry.mtimeNs / NS_PER_MS)
}

/**
 * What differs between an entry now and what the plan recorded, or undefined when it is as
 * planned. Compares type, and a file's size and mtime, and a symlink's target (when the
 * entry's was read): enough to notice a change without re-reading every file.
 */
export function entryDrift(entry: BackendEntry | undefined, expected: ExpectedEntry): string | undefined {
  if (!entry) return 'it no longer exists'
  if (entry.type !== expected.type) return `it is now a ${entry.type}, planned as a ${expected.type}`
  if (expected.type === 'file') {
    if (expected.size !== undefined && entry.size !== expected.size) return 'its size changed'
    if (expected.mtimeMs !== undefined && mtimeMsOf(entry) !== expected.mtimeMs) return 'its mtime changed'
  }
  if (expected.type === 'symlink' && entry.target !== undefined && entry.target !== expected.target) return 'its target changed'
  return undefined
}

/**
 * Throws PLAN_STALE, naming `path`, unless the entry found there is the one a change
 * expects: nothing (`ABSENT`), or an entry as the plan saw it. What every backend calls
 * right before each change it makes.
 */
export function assertExpected(path: string, entry: BackendEntry | undefined, expected: ExpectedState): void {
  if (expected === ABSENT) {
    if (entry) throw new TreesyncError('PLAN_STALE', `replica entry appeared since the plan was made`, path)
    return
  }
  const drift = entryDrift(entry, expected)
  if (drift) throw new TreesyncError('PLAN_STALE', `replica entry changed since the plan was made: ${drift}`, path)
}

/**
 * What differs between a source file now and the attributes the plan copies, if anything.
 * The size is compared when the plan recorded one.
 */
export function sourceDrift(entry: BackendEntry | undefined, expected: {size?: number; mtimeMs: number}): string | undefined {
  if (!entry) return 'it no longer exists'
  if (entry.type !== 'file') return `it is now a ${entry.type}`
  if (expected.size !== undefined && entry.size !== expected.size) return 'its size changed'
  if (mtimeMsOf(entry) !== expected.mtimeMs) return 'its mtime changed'
  return undefined
}
