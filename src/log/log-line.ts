/** Log levels, lowest first. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/**
 * ISO 8601 local time with milliseconds and the UTC offset (`Z` when it is zero), e.g.
 * `2026-11-24T10:15:02.123+01:00`: sortable, unambiguous, and readable where it is written.
 */
export function formatTimestamp(date: Date): string {
  const offsetMin = -date.getTimezoneOffset()
  const zone =
    offsetMin === 0 ? 'Z' : `${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}${zone}`
  )
}

/** One log line, without the newline: `<timestamp> <LEVEL> <message>`. */
export function formatLogLine(date: Date, level: LogLevel, message: string): string {
  return `${formatTimestamp(date)} ${level} ${message}`
}
