import {formatLogLine, type LogLevel} from './log-line.js'

/** Somewhere log lines go: a file, the console. */
export interface LogSink {
  write(line: string): void
  /** A file sink opens its path again (after logrotate moved it); others have nothing to do. */
  reopen?(): void
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

  /** Reopens every file sink (SIGHUP); throws the first sink's error, if any. */
  reopen(): void {
    for (const sink of this.sinks) sink.reopen?.()
  }
}

/** Where a stream sink writes: a console stream reports its failures with an `error` event. */
export interface LineStream {
  write(chunk: string): unknown
  on?(event: 'error', listener: (error: Error) => void): unknown
}

/**
 * A sink writing to a stream (the CLI passes stdout or stderr). Once the stream fails (its
 * terminal was closed, the reader of its pipe went away) the sink goes quiet, so the log
 * file and the run go on: an unhandled stream error would kill the process, and `watch`
 * must outlive the SSH session it was started from.
 */
export function streamSink(stream: LineStream): LogSink {
  let failed = false
  stream.on?.('error', () => (failed = true))
  return {
    write: (line) => {
      if (!failed) stream.write(line + '\n')
    },
  }
}
