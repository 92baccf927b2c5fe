import type {HashCache} from '../cache/hash-cache.js'
import {ReplicaHashRecorder} from '../cache/replica-hash-recorder.js'
import {logApplyEvents} from '../log/apply-log.js'
import type {Logger} from '../log/logger.js'
import type {Plan} from '../plan/plan.js'
import {applyPlan, type ApplyOptions, type ApplyResult} from './apply-plan.js'
import {sweepTemporaries} from './sweep-temporaries.js'

export interface RecordedApplyOptions extends Pick<ApplyOptions, 'concurrency' | 'backupDir' | 'signal' | 'guards'> {
  logger: Logger
  /** Leftover temporaries to sweep first (treesync's own, never user entries). */
  temporaries: readonly string[]
  /** The replica's hash cache, brought up to date with what apply wrote (the caller saves it). */
  replicaCache?: HashCache
}

/**
 * What `apply` and every watch cycle do with a plan that may run: sweep leftover
 * temporaries, apply with one log line per operation, and record the files written in the
 * replica's hash cache so the next plan hashes nothing.
 */
export async function applyRecorded(plan: Plan, options: RecordedApplyOptions): Promise<ApplyResult> {
  await sweepTemporaries(plan.replica, options.temporaries)
  const cache = options.replicaCache
  // Recorded while apply runs: a long apply leaves only its last files to wait for.
  const recorder = cache && new ReplicaHashRecorder(cache, plan.replica)
  const log = logApplyEvents(options.logger)
  let result: ApplyResult
  try {
    result = await applyPlan(plan, {
      concurrency: options.concurrency,
      backupDir: options.backupDir,
      signal: options.signal,
      guards: options.guards,
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
  return result
}
