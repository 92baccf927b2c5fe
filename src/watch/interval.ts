import {TreesyncError} from '../errors.js'

/** The seed script's default: one cycle a minute. */
export const DEFAULT_INTERVAL_SECONDS = 60

/**
 * The shortest INTERVAL: below it a watch on an unchanged tree would only burn CPU, and
 * timers are not that precise anyway.
 */
export const MIN_INTERVAL_SECONDS = 0.05

/** The longest INTERVAL: a year (365 days). The loop waits that long in chunks (see watch-loop). */
export const MAX_INTERVAL_SECONDS = 365 * 24 * 60 * 60

/**
 * Watch's INTERVAL in milliseconds, from the positional argument or `--interval` (which
 * must agree when both are given): a number of seconds, possibly fractional, from
 * MIN_INTERVAL_SECONDS to MAX_INTERVAL_SECONDS.
 */
export function parseInterval(positional: string | undefined, flag: string | undefined): number {
  const text = pickOne(positional, flag, 'INTERVAL', '--interval') ?? String(DEFAULT_INTERVAL_SECONDS)
  const seconds = Number(text)
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TreesyncError('BAD_INPUT', `INTERVAL must be a number of seconds greater than 0, got "${text}"`)
  }
  if (seconds < MIN_INTERVAL_SECONDS) {
    throw new TreesyncError('BAD_INPUT', `INTERVAL must be at least ${MIN_INTERVAL_SECONDS} seconds, got "${text}"`)
  }
  if (seconds > MAX_INTERVAL_SECONDS) {
    throw new TreesyncError('BAD_INPUT', `INTERVAL must be at most ${MAX_INTERVAL_SECONDS} seconds (365 days), got "${text}"`)
  }
  return seconds * 1000
}

/** A value given positionally or by flag; giving both, differently, is a mistake. */
export function pickOne(positional: string | undefined, flag: string | undefined, argName: string, flagName: string): string | undefined {
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new TreesyncError('BAD_INPUT', `${argName} and ${flagName} disagree ("${positional}" vs "${flag}"): give one`)
  }
  return positional ?? flag
}
