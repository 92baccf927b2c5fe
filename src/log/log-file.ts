import {closeSync, fstatSync, openSync, statSync, writeSync} from 'node:fs'

import {describeFsError, TreesyncError} from '../errors.js'
import type {LogSink} from './logger.js'

/**
 * How often, at most, a log file's path is checked for having been moved or removed: a
 * stat per line would double the cost of logging a large apply, and the few lines written
 * meanwhile still land in the moved file.
 */
export const LOG_MOVE_CHECK_MS = 1000

/** A sink that appends to a file. Close it when done. */
export interface FileSink extends LogSink {
  /** Closes the file and opens its path again (SIGHUP); throws a TreesyncError if it cannot. */
  reopen(): void
  close(): void
}

export interface LogFileOptions {
  /** See LOG_MOVE_CHECK_MS. */
  checkEveryMs?: number
  now?: () => number
}

interface OpenFile {
  fd: number
  dev: number
  ino: number
}

/**
 * Opens a log file for appending (never truncating). Its directory must exist: a typo in
 * the path is refused up front rather than silently creating a new tree. Lines are
 * written synchronously so a crash loses none that were reported as done. When the file
 * has been moved or removed (logrotate), the path is opened again, so a long-running
 * `watch` follows the rotation without being told.
 */
export function openLogFile(path: string, options: LogFileOptions = {}): FileSink {
  const checkEveryMs = options.checkEveryMs ?? LOG_MOVE_CHECK_MS
  const now = options.now ?? Date.now
  let file = openForAppend(path)
  let checked = now()
  const reopen = (): void => {
    const next = openForAppend(path)
    closeQuietly(file.fd)
    file = next
  }
  return {
    write(line: string) {
      if (now() - checked >= checkEveryMs) {
        checked = now()
        if (movedAway(path, file)) {
          try {
            reopen()
          } catch {
            // The path cannot be created again (its directory went too): keep writing to
            // the file we have, and try again at the next check.
          }
        }
      }
      writeSync(file.fd, line + '\n')
    },
    reopen,
    close() {
      closeSync(file.fd)
    },
  }
}

function openForAppend(path: string): OpenFile {
  let fd: number | undefined
  try {
    fd = openSync(path, 'a')
    const {dev, ino} = fstatSync(fd)
    return {fd, dev, ino}
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd)
    throw new TreesyncError('LOG_UNWRITABLE', `cannot write log file ${path}: ${describeFsError(error)}`, path)
  }
}

/** Whether `path` no longer names the open file. One we cannot stat is left alone. */
function movedAway(path: string, file: OpenFile): boolean {
  try {
    const now = statSync(path, {throwIfNoEntry: false})
    return now === undefined || now.dev !== file.dev || now.ino !== file.ino
  } catch {
    return false
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // Nothing more can be written to it either way.
  }
}
