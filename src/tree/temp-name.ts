import {randomFillSync} from 'node:crypto'
import {dirname, join} from 'node:path'

/**
 * Temporaries live in the directory of the file they will replace, so the final rename is
 * atomic. One recognisable shape lets the scanner skip them and the next apply sweep them.
 */
const PREFIX = '.treesync-'
const SUFFIX = '.tmp'
const TEMP_NAME = /^\.treesync-[0-9a-f]{16}\.tmp$/

/**
 * Random bytes drawn a pool at a time: an apply makes 100,000 temporaries, and a system
 * call for each name cost 2% of a copy. Names stay unpredictable, which matters: a
 * temporary's mode is set by path (see copy-into-place.ts).
 */
const POOL_BYTES = 4096
const NAME_BYTES = 8
const pool = Buffer.alloc(POOL_BYTES)
let used = POOL_BYTES

/** A fresh temporary file name (a name, not a path). */
export function makeTempName(): string {
  if (used === POOL_BYTES) {
    randomFillSync(pool)
    used = 0
  }
  used += NAME_BYTES
  return `${PREFIX}${pool.toString('hex', used - NAME_BYTES, used)}${SUFFIX}`
}

/** A fresh temporary path in the directory of `absPath`, for replacing it by a rename. */
export function tempPathBeside(absPath: string): string {
  return join(dirname(absPath), makeTempName())
}

/** True for names made by `makeTempName`. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name)
}
