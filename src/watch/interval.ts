import {TreesyncError} from '../errors.js'

/** The seed script's default: one cycle a minute. */
export const DEFAULT_INTERVAL_SECONDS = 60

/**
 * Watch's INTERVAL in milliseconds, from the positional argument or `--interval` (which
 * must agree when both are given): a number of seconds, possibly fractional, above 0.
 */
export function parseInterval(positional: string | undefined, flag: string | undefined): number {
  const text = pickOne(positional, flag, 'INTERVAL', '--interval') ?? String(DEFAULT_INTERVAL_SECONDS)
  const seconds = Number(text)
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TreesyncError('BAD_INPUT', `INTERVAL must be a number of seconds greater than 0, got "${text}"`)
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
