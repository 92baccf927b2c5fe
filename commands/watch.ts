import {Args, Flags} from '@oclif/core'

import {runCycle, runWatchLoop, SourceEvents, TreesyncError, type CycleReport} from '../src/index.js'
import {parseRootSpec} from '../src/backend/root-spec.js'
import {WarnOnceLogger} from '../src/log/warn-once.js'
import {DEFAULT_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, parseInterval, pickOne} from '../src/watch/interval.js'
import {TreesyncCommand} from './shared/base-command.js'
import {allowDeleteAllFlag, rootArgs, syncFlags} from './shared/flags.js'
import {outliveClosedConsole} from './shared/interrupts.js'
import {openSession} from './shared/session.js'

/** `watch --json`: one document when the loop ends. */
export interface WatchJson {
  cycles: number
  applied: number
  failed: number
  bytes: number
}

export default class WatchCommand extends TreesyncCommand {
  static override summary = 'Mirror SOURCE into REPLICA every INTERVAL seconds, logging every action.'
  static override description = [
    'Each cycle scans, plans and applies without prompting; the first starts at once. A failing',
    'cycle is logged and the loop goes on; a missing source never deletes anything. SIGINT or',
    'SIGTERM finishes the operation in progress, logs a final line and exits 0. SIGHUP reopens',
    'the log file and goes on; so does a log file moved away (logrotate). A warning repeated in',
    'every cycle is logged once, then counted in the cycle summaries.',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> watch /data/src /backup/src 60 /var/log/treesync.log',
    '<%= config.bin %> watch ./src ./dst --interval 0.5 --events --log-file sync.log',
  ]

  static override args = {
    ...rootArgs,
    interval: Args.string({
      description: `seconds between cycles (default ${DEFAULT_INTERVAL_SECONDS}, may be fractional, ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS})`,
    }),
    logfile: Args.string({description: 'log file to append to (same as --log-file)'}),
  }

  static override flags = {
    ...syncFlags,
    ...allowDeleteAllFlag,
    interval: Flags.string({description: `seconds between cycles (default ${DEFAULT_INTERVAL_SECONDS})`}),
    events: Flags.boolean({description: 'also start a cycle soon after a change in SOURCE (the interval stays as a backstop)'}),
  }

  async run(): Promise<WatchJson> {
    const {args, flags} = await this.parse(WatchCommand)
    const intervalMs = parseInterval(args.interval, flags.interval)
    const logFile = pickOne(args.logfile, flags['log-file'], 'LOGFILE', '--log-file')
    outliveClosedConsole()
    if (flags.events && parseRootSpec(args.source, 'SOURCE').kind !== 'local') {
      // Change events come from the local kernel (inotify): a remote source has none to give.
      throw new TreesyncError('BAD_INPUT', `--events needs a local SOURCE: ${args.source} is remote (the interval alone drives the cycles)`)
    }
    const session = await openSession(args.source, args.replica, {...flags, 'log-file': logFile}, this.jsonEnabled() ? 'stderr' : 'stdout')
    const totals: WatchJson = {cycles: 0, applied: 0, failed: 0, bytes: 0}
    const logger = new WarnOnceLogger(session.logger)
    try {
      await session.lockReplica()
      const stop = new AbortController()
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stop.signal.aborted) {
          // Leftover temporaries, if any, are swept by the next run.
          session.logger.warn(`received ${signal} again: exiting at once`)
          process.exit(0)
        }
        session.logger.info(`received ${signal}: finishing the operation in progress`)
        stop.abort()
      }
      process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
      // A closed terminal or logrotate's postrotate: start a new log file, don't die.
      const onHangup = (): void => {
        try {
          logger.reopen()
          logger.info('received SIGHUP: reopened the log file')
        } catch (error) {
          logger.warn(`received SIGHUP: ${error instanceof Error ? error.message : String(error)}; still writing to the old file`)
        }
      }
      process.on('SIGHUP', onHangup)
      const events = flags.events ? new SourceEvents(session.roots.source, logger) : undefined
      session.logger.info(
        `watch started: ${session.roots.source} -> ${session.roots.replica} every ${intervalMs / 1000} s` +
          `${events ? ' and on changes' : ''} (pid ${process.pid})`,
      )
      const tally = (r: CycleReport): void => {
        totals.applied += r.applied
        totals.failed += r.failed
        totals.bytes += r.bytes
      }
      totals.cycles = await runWatchLoop({
        intervalMs,
        signal: stop.signal,
        changes: events?.subscribe,
        betweenCycles: () => events?.rearm(),
        cycle: async (n) =>
          tally(
            await runCycle(n, {
              source: args.source,
              replica: args.replica,
              settings: session.settings,
              logger,
              takeRepeatedWarnings: () => logger.takeRepeats(),
              signal: stop.signal,
              remotes: session.remotes,
            }),
          ),
      })
      await events?.close()
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
      process.off('SIGHUP', onHangup)
      session.logger.info(`watch stopped after ${totals.cycles} cycles`)
      return totals
    } finally {
      await session.close()
    }
  }
}
