import {randomBytes} from 'node:crypto'
import {dirname, join} from 'node:path'

/**
 * Temporaries live in the directory of the file they will replace, so the final rename is
 * atomic. One recognisable shape lets the scanner skip them and the next apply sweep them.
 */
const PREFIX = '.treesync-'
const SUFFIX = '.tmp'
const TEMP_NAME = /^\.treesync-[0-9a-f]{16}\.tmp$/

/**
 * A random half per thread and a counter: unique within the thread, unlikely to meet
 * another's, and cheap for an apply making 100,000 of them (temporaries are created
 * exclusively, so a clash fails a write rather than sharing a file).
 */
const THREAD_PART = randomBytes(4).toString('hex')
let counter = 0

/** A fresh temporary file name (a name, not a path). */
export function makeTempName(): string {
  counter = (counter + 1) >>> 0
  return `${PREFIX}${THREAD_PART}${counter.toString(16).padStart(8, '0')}${SUFFIX}`
}

/** A fresh temporary path in the directory of `absPath`, for replacing it by a rename. */
export function tempPathBeside(absPath: string): string {
  return join(dirname(absPath), makeTempName())
}

/** True for names made by `makeTempName`. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name)
}
