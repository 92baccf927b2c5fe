import {TreesyncError} from '../../src/index.js'

/** The signals a user or a session manager sends to stop a run. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export type StopSignal = (typeof STOP_SIGNALS)[number]

/** The shell's convention: 128 + the signal's number (SIGHUP counts as SIGTERM, per the contract). */
export function exitCodeFor(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143
}

/**
 * Turns SIGINT, SIGTERM and SIGHUP into a graceful stop: the first one aborts `signal`
 * (scanning stops, apply starts nothing new and lets what runs finish), a second one exits
 * at once with the signal's code. Installed for the whole command, so a signal is never
 * lost between phases (a spinner, the prompt, the copy). Call `dispose` when done.
 */
export class Interrupts {
  private readonly controller = new AbortController()
  private received: StopSignal | undefined
  private readonly handlers = new Map<StopSignal, () => void>()

  /** Says that a signal arrived: once the session's logger exists, to the log as well. */
  report: (message: string) => void = (message) => void process.stderr.write(`${message}\n`)

  constructor() {
    for (const name of STOP_SIGNALS) {
      const handler = (): void => this.trigger(name)
      this.handlers.set(name, handler)
      process.on(name, handler)
    }
  }

  /** Aborted by the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The first signal received, if any. */
  get stoppedBy(): StopSignal | undefined {
    return this.received
  }

  /** Acts as if `name` had been received (the prompt sees Ctrl-C as a key, not a signal). */
  trigger(name: StopSignal): void {
    if (this.received) {
      // Leftover temporaries, if any, are swept by the next run.
      this.report(`received ${name} again: stopping at once`)
      process.exit(exitCodeFor(name))
    }
    this.received = name
    this.report(`received ${name}: stopping (send it again to stop at once)`)
    this.controller.abort()
  }

  dispose(): void {
    for (const [name, handler] of this.handlers) process.off(name, handler)
  }
}

/** Between phases: a signal received so far stops the command before it changes anything. */
export function throwIfStopped(interrupts: Interrupts): void {
  if (interrupts.signal.aborted) throw new TreesyncError('INTERRUPTED', 'interrupted')
}

/**
 * oclif rethrows any stdout error but EPIPE. Once the terminal is closed (SIGHUP from a
 * closed SSH session) every console write fails with EIO: the command must still finish
 * what it does and write its log file instead of dying on the next line it prints.
 */
export function outliveClosedConsole(): void {
  process.stdout.removeAllListeners('error').on('error', ignoreClosedConsole)
}

function ignoreClosedConsole(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error
}
