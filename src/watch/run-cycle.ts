import {applyPlanLogged} from '../apply/apply-logged.js'
import type {RemoteConnections} from '../backend/remote-connections.js'
import {describeError, isTreesyncError} from '../errors.js'
import type {TreeHashCaches} from '../cache/hash-cache.js'
import type {Logger} from '../log/logger.js'
import {DEFAULT_GUARDS, guardViolations} from '../plan/guards.js'
import {holdRemovals} from '../plan/hold-removals.js'
import {formatBytes} from '../render/format-bytes.js'
import {resolveRoots} from '../roots.js'
import {openRunCaches, preparePlanLogged, saveRunCaches} from '../sync.js'
import type {SyncSettings} from '../settings.js'
import {countOf} from '../util/count-of.js'

/** What every cycle of a watch gets: the roots as given, the sync's settings, and the run's logger and stop signal. */
export interface CycleOptions {
  source: string
  replica: string
  settings: SyncSettings
  logger: Logger
  /** Warnings not logged again since the last call (WarnOnceLogger.takeRepeats), for the summary. */
  takeRepeatedWarnings?: () => number
  signal?: AbortSignal
  now?: () => number
  /** The watch's connections to remote roots, kept across cycles (reconnected after a failure). */
  remotes?: RemoteConnections
}

/** How one cycle ended. A cycle that could not run at all is `skipped` with a reason. */
export interface CycleReport {
  status: 'applied' | 'unchanged' | 'held' | 'skipped' | 'failed'
  applied: number
  failed: number
  skipped: number
  /** Operations the delete guards held back for the user to confirm. */
  held: number
  bytes: number
  durationMs: number
}

/**
 * One watch cycle: resolve the roots afresh (the source may have vanished), scan, plan,
 * and apply without prompting, logging each operation and one summary line. Nothing here
 * throws: a failing cycle is logged and reported, and the loop goes on. A missing source
 * never deletes anything; a plan the delete guards stop still copies, holding its removals back.
 */
export async function runCycle(cycle: number, options: CycleOptions): Promise<CycleReport> {
  const now = options.now ?? Date.now
  const started = now()
  const report = (status: CycleReport['status'], counts: Partial<CycleReport> = {}): CycleReport => ({
    status,
    applied: 0,
    failed: 0,
    skipped: 0,
    held: 0,
    bytes: 0,
    ...counts,
    durationMs: now() - started,
  })
  const {logger} = options
  const withRepeats = (text: string): string => {
    const repeats = options.takeRepeatedWarnings?.() ?? 0
    return repeats > 0 ? `${text}; ${countOf(repeats, 'repeated warning')} not shown` : text
  }
  let caches: TreeHashCaches | undefined
  try {
    const {settings} = options
    const {remotes} = options
    const roots = await resolveRoots(options.source, options.replica, {mkpath: settings.mkpath, remotes})
    caches = await openRunCaches(roots, settings)
    const {plan, replica} = await preparePlanLogged(roots, settings, {caches, signal: options.signal, logger, quietWhenNothingHashed: true, remotes})
    // A guarded cycle still copies: only its removals wait for the user (apply by hand).
    const [violation] = guardViolations(plan, settings.guards ?? DEFAULT_GUARDS)
    const {plan: runnable, held} = violation ? holdRemovals(plan) : {plan, held: []}
    if (violation) {
      logger.warn(
        `holding back ${countOf(held.length, 'operation')} that remove or replace entries: ${violation}; ` +
          `review them with: treesync apply ${roots.source} ${roots.replica}`,
      )
    }
    const result = await applyPlanLogged(runnable, settings, {
      logger,
      temporaries: replica.temporaries,
      replicaCache: caches?.replica,
      signal: options.signal,
      remotes,
    })
    const readErrors = plan.warnings.filter((w) => w.level === 'error').length
    const failed = result.failed.length + readErrors
    const done = report(failed > 0 ? 'failed' : runnable.operations.length > 0 ? 'applied' : held.length > 0 ? 'held' : 'unchanged', {
      applied: result.applied.length,
      failed,
      skipped: result.skipped.length,
      held: held.length,
      bytes: result.summary.bytes,
    })
    const s = result.summary
    if (done.status === 'unchanged') {
      logger.info(withRepeats(`cycle ${cycle}: no changes (${(done.durationMs / 1000).toFixed(2)} s)`))
      return done
    }
    logger.log(
      done.failed > 0 ? 'ERROR' : 'INFO',
      withRepeats(
        `cycle ${cycle}: ${done.applied} applied (create ${s.create + s.mkdir}, update ${s.update}, meta ${s.meta}, ` +
          `rename ${s.rename}, delete ${s.delete + s.rmdir}), ${done.failed} failed, ${done.skipped} skipped, ` +
          `${held.length > 0 ? `${held.length} held back, ` : ''}${formatBytes(done.bytes)} copied in ${(done.durationMs / 1000).toFixed(2)} s`,
      ),
    )
    return done
  } catch (error) {
    if (isTreesyncError(error) && error.code === 'INTERRUPTED') {
      logger.info(withRepeats(`cycle ${cycle} interrupted before applying anything`))
      return report('skipped')
    }
    const {path, message} = describeError(error)
    // A treesync error's message says what it is about; an fs error's short one needs its
    // path (an unusual one's message already has it).
    const about = !isTreesyncError(error) && path !== undefined && !message.includes(path) ? `${path}: ` : ''
    logger.error(withRepeats(`cycle ${cycle} failed: ${about}${message}; nothing was deleted`))
    return report('failed', {failed: 1})
  } finally {
    await saveRunCaches(caches, (warning) => logger.warn(warning))
  }
}
