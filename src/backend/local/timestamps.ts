import {lutimesSync} from 'node:fs'
import {lutimes} from 'node:fs/promises'

/**
 * An mtime for `utimes` from a whole-millisecond value. Node takes seconds as a double and
 * truncates to nanoseconds, so `ms / 1000` lands one millisecond low about half the time;
 * aiming at the middle of the millisecond is exact.
 */
function secondsOf(mtimeMs: number): number {
  return (mtimeMs + 0.5) / 1000
}

/** Sets an entry's mtime to a whole-millisecond value without following a final symlink. */
export async function setMtime(absPath: string, mtimeMs: number): Promise<void> {
  await lutimes(absPath, new Date(), secondsOf(mtimeMs))
}

/** `setMtime`, blocking (for worker threads, where a blocking call costs no thread hop). */
export function setMtimeSync(absPath: string, mtimeMs: number): void {
  lutimesSync(absPath, new Date(), secondsOf(mtimeMs))
}
