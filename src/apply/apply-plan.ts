import {mkdir} from 'node:fs/promises'

import {describeError} from '../errors.js'
import {assertGuards, DEFAULT_GUARDS, type DeleteGuards} from '../plan/guards.js'
import {copiesData, type Operation} from '../plan/operation.js'
import {summarize, type Plan, type PlanSummary} from '../plan/plan.js'
import {parentPath} from '../tree/paths.js'
import {defaultConcurrency, defaultCopyWorkers} from '../util/concurrency.js'
import {Backup} from './backup.js'
import {copyIntoPlace, type CopyOperation} from './copy-into-place.js'
import {CopyPool} from './copy-pool.js'
import {DirectoryTimes} from './directory-times.js'
import {promiseIo, type CopyFile} from './file-io.js'
import {RootedTree} from './rooted-tree.js'
import {runOperation} from './run-operation.js'
import {runInPathOrder} from './schedule.js'

/** An operation that did not complete, with the path it is about. */
export interface FailedOperation {
  op: Operation['op']
  path: string
  error: string
}

/** An operation not attempted because one it depends on failed. */
export interface SkippedOperation {
  op: Operation['op']
  path: string
  reason: string
}

/** What apply did: every plan operation ends up in exactly one of these lists. */
export interface ApplyResult {
  applied: Operation[]
  failed: FailedOperation[]
  skipped: SkippedOperation[]
  /** Counts of the operations applied. */
  summary: PlanSummary
  durationMs: number
  /** Copy worker threads this apply started; 0 when file copies were made on this thread. */
  copyWorkers: number
}

/** Progress of an apply, one event per operation outcome. */
export type ApplyEvent =
  | {type: 'applied'; op: Operation}
  | {type: 'failed'; failure: FailedOperation}
  | {type: 'skipped'; op: Operation; reason: string}

export interface ApplyOptions {
  concurrency?: number
  /**
   * The delete guards, checked before anything is touched (a DELETE_GUARD error). Default:
   * the empty-source guard, as for the CLI; pass `{allowDeleteAll: true}` to turn it off.
   */
  guards?: DeleteGuards
  onEvent?: (event: ApplyEvent) => void
  /** `--backup-dir`: keep entries that would be deleted or overwritten there. */
  backupDir?: string
  /** Stops starting operations when aborted; those running finish, the rest are skipped. */
  signal?: AbortSignal
  /**
   * How file data is copied (default: the kernel's copy); injectable for fault tests.
   * An injected copy runs on this thread, so it turns the copy workers off.
   */
  copyFile?: CopyFile
  /**
   * Worker threads for file copies; 0 copies on this thread. Default: from the core count
   * when the plan copies at least `MIN_COPIES_FOR_WORKERS` files or hashes at least
   * `MIN_HASHED_BYTES_FOR_WORKERS` bytes (starting workers costs more than it saves on a
   * few), else 0. Always 0 with `backupDir` or `copyFile`.
   */
  copyWorkers?: number
  /** Clock for the duration; injectable for tests. */
  now?: () => number
}

/** Below this many file copies, starting worker threads costs more than it saves. */
export const MIN_COPIES_FOR_WORKERS = 256

/** Copied bytes hashed (against the planned MD5) that keep one core busy longer than workers take to start. */
export const MIN_HASHED_BYTES_FOR_WORKERS = 64 * 1024 * 1024

/** Copies kept in flight per copy worker, so each always has the next ones queued. */
const COPIES_IN_FLIGHT_PER_WORKER = 48

/**
 * Applies a plan's operations to its replica, exactly and only those. Operations on
 * unrelated paths run concurrently; an operation waits for earlier ones on its path, its
 * ancestors or its descendants. A failure is recorded with its path and the rest go on;
 * operations that depend on a failed one are skipped, never forced.
 */
export async function applyPlan(plan: Plan, options: ApplyOptions = {}): Promise<ApplyResult> {
  const now = options.now ?? Date.now
  const started = now()
  const result: ApplyResult = {applied: [], failed: [], skipped: [], summary: summarize([]), durationMs: 0, copyWorkers: 0}
  if (plan.operations.length === 0) return result
  assertGuards(plan, options.guards ?? DEFAULT_GUARDS)

  await mkdir(plan.replica, {recursive: true})
  const tree = new RootedTree(plan.replica)
  const source = new RootedTree(plan.source)
  const dirTimes = new DirectoryTimes(tree)
  const backup = options.backupDir ? new Backup(options.backupDir, new Date(started)) : undefined
  const workers = copyWorkersFor(plan.operations, options)
  const pool = workers > 0 ? new CopyPool({source: plan.source, replica: plan.replica}, workers) : undefined
  const copyCtx = {source, tree, backup, io: promiseIo(options.copyFile)}
  const copy = pool ? (op: CopyOperation) => pool.run(op) : (op: CopyOperation) => copyIntoPlace(op, copyCtx)
  const ctx = {source, tree, dirTimes, backup, copy}
  const blocked = new Blocked()
  const concurrency = options.concurrency ?? Math.max(defaultConcurrency(), workers * COPIES_IN_FLIGHT_PER_WORKER)

  const notStarted = await runInPathOrder(plan.operations, concurrency, async (op) => {
    const reason = blocked.reasonToSkip(op)
    if (reason) {
      blocked.record(op)
      result.skipped.push({op: op.op, path: op.path, reason})
      options.onEvent?.({type: 'skipped', op, reason})
      return
    }
    try {
      await runOperation(op, ctx)
      result.applied.push(op)
      options.onEvent?.({type: 'applied', op})
    } catch (error) {
      blocked.record(op)
      const {path, message} = describeError(error, op.path)
      const failure = {op: op.op, path, error: message}
      result.failed.push(failure)
      options.onEvent?.({type: 'failed', failure})
    }
  }, options.signal).finally(() => pool?.close())
  for (const op of notStarted) result.skipped.push({op: op.op, path: op.path, reason: 'interrupted'})

  for (const failure of await dirTimes.finish()) {
    const failed: FailedOperation = {op: 'meta', ...failure}
    result.failed.push(failed)
    options.onEvent?.({type: 'failed', failure: failed})
  }
  result.summary = summarize(result.applied)
  result.durationMs = now() - started
  result.copyWorkers = pool?.size ?? 0
  return result
}

function copyWorkersFor(operations: readonly Operation[], options: ApplyOptions): number {
  // Backups and injected copies stay on this thread: they are not made for worker threads.
  if (options.copyFile || options.backupDir) return 0
  if (options.copyWorkers !== undefined) return options.copyWorkers
  let [copies, hashed] = [0, 0]
  for (const op of operations) if (copiesData(op) && (++copies >= MIN_COPIES_FOR_WORKERS || (hashed += op.md5 ? op.size : 0) >= MIN_HASHED_BYTES_FOR_WORKERS)) return defaultCopyWorkers()
  return 0
}

/**
 * Tracks what did not happen, so that operations relying on it are skipped: entries in a
 * directory that was not created, an entry whose path was not vacated, a directory that
 * still holds an entry that was not removed.
 */
class Blocked {
  private readonly notDone = new Set<string>()
  private readonly notEmptied = new Set<string>()

  record(op: Operation): void {
    this.notDone.add(op.path)
    if (op.op === 'delete' || op.op === 'rmdir') this.notEmptied.add(parentPath(op.path))
    if (op.op === 'rename') {
      // The file stays at `from`: nothing may be created there, and its directory is not empty.
      this.notDone.add(op.from)
      this.notEmptied.add(parentPath(op.from))
    }
  }

  reasonToSkip(op: Operation): string | undefined {
    if (this.notDone.has(parentPath(op.path))) return 'its parent directory was not created'
    if ((op.op === 'mkdir' || op.op === 'create' || op.op === 'rename') && this.notDone.has(op.path)) {
      return 'the entry it replaces was not removed'
    }
    if (op.op === 'rmdir' && this.notEmptied.has(op.path)) return 'an entry inside it was not removed'
    return undefined
  }
}
