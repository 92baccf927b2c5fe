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

/** A sink writing to a stream (the CLI passes stderr). */
export function streamSink(stream: {write(chunk: string): unknown}): LogSink {
  return {write: (line) => void stream.write(line + '\n')}
}
