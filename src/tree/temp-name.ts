import {randomBytes} from 'node:crypto'
import {dirname, join} from 'node:path'

/**
 * Temporaries live in the directory of the file they will replace, so the final rename is
 * atomic. One recognisable shape lets the scanner skip them and the next apply sweep them.
 */
const PREFIX = '.treesync-'
const SUFFIX = '.tmp'
const TEMP_NAME = /^\.treesync-[0-9a-f]{16}\.tmp$/

/** A fresh temporary file name (a name, not a path). */
export function makeTempName(): string {
  return `${PREFIX}${randomBytes(8).toString('hex')}${SUFFIX}`
}

/** A fresh temporary path in the directory of `absPath`, for replacing it by a rename. */
export function tempPathBeside(absPath: string): string {
  return join(dirname(absPath), makeTempName())
}

/** True for names made by `makeTempName`. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name)
}
