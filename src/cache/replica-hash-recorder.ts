import {lstatSync, type BigIntStats} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import type {Operation} from '../plan/operation.js'
import type {HashCache} from './hash-cache.js'
import {RACY_WINDOW_MS} from './packed-hashes.js'
import {wallClockNs} from './wall-clock.js'

/**
 * How long after an operation completes its file is re-stat'ed: past the racy window, so
 * its timestamps can be trusted, with a margin because timers count from a
 * millisecond-rounded loop clock and can wake a fraction of a millisecond early.
 */
const SETTLE_MS = RACY_WINDOW_MS + 10
/** Operations recorded per timer turn, so the loop keeps feeding apply's copies. */
const RECORD_BATCH = 1000

/**
 * Brings the replica's hash cache up to date while apply runs, so the next plan hashes
 * nothing: removed paths are forgotten; files apply wrote, moved or touched have known
 * content (the plan's MD5), so they are re-stat'ed and remembered once their timestamps
 * have settled. Operations are taken in the order they completed and recorded in that
 * order as they age, so a long apply leaves only its last moment's files to wait for.
 */
export class ReplicaHashRecorder {
  /**
   * Operations in completion order: when (monotonic ms, for the waits) and a wall-clock
   * bound in ns that the operation's own timestamps cannot exceed (see record).
   */
  private readonly queue: Array<{op: Operation; doneAt: number; doneBeforeNs: bigint}> = []
  private next = 0
  private timer: NodeJS.Timeout | undefined
  private drained: (() => void) | undefined
  private cancelled = false

  constructor(
    private readonly cache: HashCache,
    private readonly replicaRoot: string,
  ) {}

  /** Takes an operation that has just been applied. */
  add(op: Operation): void {
    if (this.cancelled) return
    // Date.now() rounds down, so the next millisecond bounds the operation's timestamps.
    this.queue.push({op, doneAt: performance.now(), doneBeforeNs: BigInt(Date.now() + 1) * 1_000_000n})
    this.schedule()
  }

  /** Drops what is left unrecorded (an apply that failed as a whole is not saved). */
  cancel(): void {
    this.cancelled = true
    clearTimeout(this.timer)
    this.timer = undefined
    this.queue.length = 0
    this.next = 0
    this.drained?.()
    this.drained = undefined
  }

  /** Records what is left, after waiting out the racy window of the last ones. */
  async finish(): Promise<void> {
    if (this.next === this.queue.length) return
    await new Promise<void>((resolve) => {
      this.drained = resolve
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.timer || this.next === this.queue.length) return
    const wait = Math.max(0, this.queue[this.next]!.doneAt + SETTLE_MS - performance.now())
    this.timer = setTimeout(() => this.recordSettled(), wait)
  }

  private recordSettled(): void {
    this.timer = undefined
    const settledBefore = performance.now() - SETTLE_MS
    const examinedNs = wallClockNs()
    const end = Math.min(this.queue.length, this.next + RECORD_BATCH)
    while (this.next < end && this.queue[this.next]!.doneAt <= settledBefore) this.record(this.queue[this.next++]!, examinedNs)
    if (this.next === this.queue.length) {
      this.queue.length = 0
      this.next = 0
      this.drained?.()
      this.drained = undefined
    } else this.schedule()
  }

  private record({op, doneBeforeNs}: {op: Operation; doneBeforeNs: bigint}, examinedNs: bigint): void {
    const known = knownContent(op)
    if (op.op === 'rename') this.cache.forget(op.from)
    if (!known) {
      this.cache.forget(op.path)
      return
    }
    const st = lstatOrUndefined(join(this.replicaRoot, op.path))
    // Anything but the size and mtime apply gave it means someone else wrote it since; so
    // does a change of its inode after the operation was done (a ctime past that moment).
    const untouched = st !== undefined && st.isFile() && Number(st.size) === known.size && Number(st.mtimeNs / 1_000_000n) === known.mtimeMs && st.ctimeNs <= doneBeforeNs
    if (untouched) this.cache.record(op.path, {size: known.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, md5: known.md5}, examinedNs)
    else this.cache.forget(op.path)
  }
}

/**
 * Records what apply did in the replica's hash cache, all at once (see ReplicaHashRecorder,
 * which apply uses to record as it goes).
 */
export async function recordAppliedHashes(cache: HashCache, replicaRoot: string, applied: readonly Operation[]): Promise<void> {
  const recorder = new ReplicaHashRecorder(cache, replicaRoot)
  for (const op of applied) recorder.add(op)
  await recorder.finish()
}

/** The content, size and mtime a file has after the operation, when the plan knows them (undefined: forget the path). */
export function knownContent(op: Operation): {md5: string; size: number; mtimeMs: number} | undefined {
  if (op.op === 'rename' || ((op.op === 'create' || op.op === 'update') && op.type === 'file')) {
    return op.md5 ? {md5: op.md5, size: op.size, mtimeMs: op.mtimeMs} : undefined
  }
  if (op.op === 'meta' && op.type === 'file' && op.replica.md5 && op.replica.size !== undefined) {
    return {md5: op.replica.md5, size: op.replica.size, mtimeMs: op.mtimeMs}
  }
  return undefined
}

function lstatOrUndefined(abs: string): BigIntStats | undefined {
  try {
    return lstatSync(abs, {bigint: true})
  } catch {
    return undefined // gone or unreadable: forgotten, hashed again next time
  }
}
