import type {LogLevel} from './log-line.js'
import {Logger} from './logger.js'

/**
 * How many distinct warnings a WarnOnceLogger remembers. Beyond that, new ones are always
 * written: memory must stay flat however long `watch` runs.
 */
export const MAX_REMEMBERED_WARNINGS = 10_000

/**
 * A logger for long runs (`watch`) that writes each distinct WARN message once: a FIFO or
 * an undecodable name skipped in every cycle would otherwise be warned about in every
 * cycle, 1,440 times a day at 60 s. Repeats are counted instead, and `takeRepeats` hands
 * the count to the cycle summary. Other levels pass through: an ERROR is always written.
 */
export class WarnOnceLogger extends Logger {
  private readonly seen = new Set<string>()
  private repeats = 0

  constructor(private readonly inner: Logger) {
    super([])
  }

  override log(level: LogLevel, message: string): void {
    if (level === 'WARN') {
      if (this.seen.has(message)) {
        this.repeats++
        return
      }
      if (this.seen.size < MAX_REMEMBERED_WARNINGS) this.seen.add(message)
    }
    this.inner.log(level, message)
  }

  override reopen(): void {
    this.inner.reopen()
  }

  /** The number of warnings not written since the last call. */
  takeRepeats(): number {
    const repeats = this.repeats
    this.repeats = 0
    return repeats
  }
}
