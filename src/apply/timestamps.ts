import {lutimes} from 'node:fs/promises'

/**
 * Sets an entry's mtime to a whole-millisecond value without following a final symlink.
 * Node takes seconds as a double and truncates to nanoseconds, so `ms / 1000` lands one
 * millisecond low about half the time; aiming at the middle of the millisecond is exact.
 */
export async function setMtime(absPath: string, mtimeMs: number): Promise<void> {
  await lutimes(absPath, new Date(), (mtimeMs + 0.5) / 1000)
}
