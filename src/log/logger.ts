import {closeSync, openSync, writeSync} from 'node:fs'

import {describeFsError, TreesyncError} from '../errors.js'
import {formatLogLine, type LogLevel} from './log-line.js'

/** Somewhere log lines go: a file, the console. */
export interface LogSink {
  write(line: string): void
}

/** Writes timestamped lines to every sink. */
export class Logger {
  constructor(
    private readonly sinks: LogSink[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  log(level: LogLevel, message: string): void {
    const line = formatLogLine(this.now(), level, message)
    for (const sink of this.sinks) sink.write(line)
  }

  info(message: string): void {
    this.log('INFO', message)
  }

  warn(message: string): void {
    this.log('WARN', message)
  }

  error(message: string): void {
    this.log('ERROR', message)
  }
}

/** A sink that appends to a file. Close it when done. */
export interface FileSink extends LogSink {
  close(): void
}

/**
 * Opens a log file for appending (never truncating). Its directory must exist: a typo in
 * the path is refused up front rather than silently creating a new tree. Lines are
 * written synchronously so a crash loses none that were reported as done.
 */
export function openLogFile(path: string): FileSink {
  let fd: number
  try {
    fd = openSync(path, 'a')
  } catch (error) {
    throw new TreesyncError('LOG_UNWRITABLE', `cannot write log file ${path}: ${describeFsError(error)}`, path)
  }
  return {
    write(line: string) {
      writeSync(fd, line + '\n')
    },
    close() {
      closeSync(fd)
    },
  }
}

/** A sink writing to a stream (the CLI passes stderr). */
export function streamSink(stream: {write(chunk: string): unknown}): LogSink {
  return {write: (line) => void stream.write(line + '\n')}
}
