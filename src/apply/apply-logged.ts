import {openRootBackend} from '../backend/open-roots.js'
import type {RemoteConnections} from '../backend/remote-connections.js'
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
  await sweepTemporaries(plan.replica, run.temporaries, run.remotes)
  const cache = run.replicaCache
  const local = parseRootSpec(plan.replica).kind === 'local'
  // Recorded while apply runs: a long apply leaves only its last files to wait for.
  const recorder = cache && local ? new ReplicaHashRecorder(cache, plan.replica) : undefined
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
  if (cache && !local && run.remotes && result.applied.length > 0) {
    const replica = await openRootBackend(plan.replica, 'replica', {remotes: run.remotes})
    try {
      await recordRemoteWrites(cache, replica, result.applied)
    } finally {
      await replica.close()
    }
  }
  return result
}
