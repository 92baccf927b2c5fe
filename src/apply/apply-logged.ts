import {openRootBackend} from '../backend/open-roots.js'
import {RemoteConnections} from '../backend/remote-connections.js'
import {parseRootSpec} from '../backend/root-spec.js'
import {recordRemoteWrites} from '../cache/remote-hash-recorder.js'
import type {HashCache} from '../cache/hash-cache.js'
import {ReplicaHashRecorder} from '../cache/replica-hash-recorder.js'
import {logApplyEvents} from '../log/apply-log.js'
import type {Logger} from '../log/logger.js'
import type {Plan} from '../plan/plan.js'
import type {SyncSettings} from '../settings.js'
import {applyPlan, type ApplyResult} from './apply-plan.js'
import {sweepTemporaries} from './sweep-temporaries.js'

/** What one run brings to `applyPlanLogged` besides the settings. */
export interface ApplyRun {
  logger: Logger
  /** Leftover temporaries to sweep first (treesync's own, never user entries). */
  temporaries: readonly string[]
  /** The replica's hash cache, brought up to date with what apply wrote (the run saves it). */
  replicaCache?: HashCache
  /** Stops starting operations when aborted; those running finish, the rest are skipped. */
  signal?: AbortSignal
  /** The run's connections to remote roots. */
  remotes?: RemoteConnections
}

/**
 * What `apply` and every watch cycle do with a plan that may run: sweep leftover
 * temporaries, apply with one log line per operation, and record the files written in the
 * replica's hash cache so the next plan hashes nothing.
 */
export async function applyPlanLogged(plan: Plan, settings: Pick<SyncSettings, 'concurrency' | 'backupDir' | 'guards'>, run: ApplyRun): Promise<ApplyResult> {
  const local = parseRootSpec(plan.replica).kind === 'local' && parseRootSpec(plan.source).kind === 'local'
  // A library caller's run without connections: this apply opens its own, and closes them.
  const remotes = run.remotes ?? (local ? undefined : new RemoteConnections())
  try {
    return await applyWithRecording(plan, settings, {...run, remotes})
  } finally {
    if (!run.remotes) await remotes?.close()
  }
}

async function applyWithRecording(plan: Plan, settings: Pick<SyncSettings, 'concurrency' | 'backupDir' | 'guards'>, run: ApplyRun): Promise<ApplyResult> {
  await sweepTemporaries(plan.replica, run.temporaries, run.remotes)
  const cache = run.replicaCache
  const localReplica = parseRootSpec(plan.replica).kind === 'local'
  // Recorded while apply runs: a long apply leaves only its last files to wait for.
  const recorder = cache && localReplica ? new ReplicaHashRecorder(cache, plan.replica) : undefined
  const log = logApplyEvents(run.logger)
  let result: ApplyResult
  try {
    result = await applyPlan(plan, {
      concurrency: settings.concurrency,
      backupDir: settings.backupDir,
      guards: settings.guards,
      signal: run.signal,
      remotes: run.remotes,
      onEvent: (event) => {
        if (event.type === 'applied') recorder?.add(event.op)
        log(event)
      },
    })
  } catch (error) {
    recorder?.cancel()
    throw error
  }
  await recorder?.finish()
  // With the replica out of reach there is nothing to stat: its files are hashed again next
  // time. A replica whose listings carry MD5s (S3's ETags) needs no record: nothing is hashed.
  const freeMd5 = plan.capabilities?.replica.freeHashes.includes('md5') === true
  if (cache && !localReplica && !freeMd5 && !result.unreachable && result.applied.length > 0) await recordRemotely(plan, cache, result, run)
  return result
}

/** Records a remote replica's written files in its hash cache; failing to is only a cost (they are hashed next time). */
async function recordRemotely(plan: Plan, cache: HashCache, result: ApplyResult, run: ApplyRun): Promise<void> {
  try {
    const replica = await openRootBackend(plan.replica, 'replica', {remotes: run.remotes})
    try {
      await recordRemoteWrites(cache, replica, result.applied)
    } finally {
      await replica.close()
    }
  } catch {
    for (const op of result.applied) cache.forget(op.path)
  }
}
