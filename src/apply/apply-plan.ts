import type {Backend} from '../backend/backend.js'
import type {CopyFile} from '../backend/local/file-io.js'
import {LocalBackend} from '../backend/local/local-backend.js'
import {openRootBackends} from '../backend/open-roots.js'
import type {RemoteConnections} from '../backend/remote-connections.js'
import {describeError, isTreesyncError} from '../errors.js'
import type {ApplyEvent, ApplyResult, FailedOperation} from '../model/apply-result.js'
import {assertGuards, DEFAULT_GUARDS, type DeleteGuards} from '../plan/guards.js'
import {copiesData, type Operation} from '../plan/operation.js'
import {summarize, type Plan} from '../plan/plan.js'
import {parentPath} from '../tree/paths.js'
import {defaultConcurrency, defaultCopyWorkers} from '../util/concurrency.js'
import {DirectoryTimes} from './directory-times.js'
import {runOperation, type OperationContext} from './run-operation.js'
import {runInPathOrder} from './schedule.js'

export type {ApplyEvent, ApplyResult, FailedOperation, SkippedOperation} from '../model/apply-result.js'

/** How to apply a plan; all optional. */
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
  /**
   * The trees to read from and write to. Default: the plan's roots, local or remote (the
   * replica created if missing), a local one with the capabilities the plan carries, set up from
   * `backupDir`, `copyFile` and `copyWorkers`,
   * which are then ignored. Backends passed here are not closed.
   */
  backends?: {source: Backend; replica: Backend}
  /** The run's connections to remote roots (default: opened for this apply and closed after it). */
  remotes?: RemoteConnections
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

  const opened = options.backends
    ? undefined
    : await openRootBackends(plan, {
        // What the plan was made for: a FAT replica's copies, say, then set mtimes after their rename.
        localReplica: {
          capabilities: plan.capabilities?.replica,
          backup: options.backupDir ? {dir: options.backupDir, startedAt: new Date(started)} : undefined,
          copyFile: options.copyFile,
          copyWorkers: copyWorkersFor(plan.operations, options),
        },
        localSourceCapabilities: plan.capabilities?.source,
        createReplica: true,
        remotes: options.remotes,
      })
  const {source, replica} = (options.backends ?? opened)!
  const workers = opened?.replica instanceof LocalBackend ? opened.replica.copyWorkers : 0
  try {
    await applyOperations(plan, {source, replica, dirTimes: new DirectoryTimes(replica, source)}, result, options, workers)
  } finally {
    await opened?.close()
  }
  result.summary = summarize(result.applied)
  result.durationMs = now() - started
  result.copyWorkers = workers
  return result
}

/** Runs the operations in path order, recording each outcome, then sets directory times. */
async function applyOperations(plan: Plan, ctx: OperationContext, result: ApplyResult, options: ApplyOptions, workers: number): Promise<void> {
  const blocked = new Blocked()
  const concurrency = options.concurrency ?? Math.max(defaultConcurrency(), workers * COPIES_IN_FLIGHT_PER_WORKER)

  // A root that can no longer be reached (a lost connection) fails every later operation
  // too: none are started once one reports it; they are skipped, and the next apply converges.
  const unreachable = new AbortController()
  const stop = options.signal ? AbortSignal.any([options.signal, unreachable.signal]) : unreachable.signal
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
      if (isTreesyncError(error) && error.code === 'ROOT_UNREACHABLE') unreachable.abort(message)
    }
  }, stop)
  if (unreachable.signal.aborted) result.unreachable = String(unreachable.signal.reason)
  const notStartedReason = result.unreachable && !options.signal?.aborted ? 'not started: a root could not be reached' : 'interrupted'
  for (const op of notStarted) result.skipped.push({op: op.op, path: op.path, reason: notStartedReason})

  // Directory times are set through the same connection: with it gone, each would fail on
  // its own. The next apply sets them (its plan has them as metadata fixes).
  if (result.unreachable) return
  for (const failure of await ctx.dirTimes.finish()) {
    const failed: FailedOperation = {op: 'meta', ...failure}
    result.failed.push(failed)
    options.onEvent?.({type: 'failed', failure: failed})
  }
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
