// Control characters (newline, tab, escape, …) and backslashes in a file name would break
// one-entry-per-line output or inject terminal sequences, so such names are quoted.
// eslint-disable-next-line no-control-regex
const NEEDS_QUOTING = /[\u0000-\u001f\u007f-\u009f\\"]/

/** A path as shown to people and in logs: as is, or JSON-quoted when it needs escaping. */
export function quotePath(path: string): string {
  return NEEDS_QUOTING.test(path) ? JSON.stringify(path) : path
}
