import type {BigIntStats} from 'node:fs'
import {stat, utimes} from 'node:fs/promises'

const NS_PER_S = 1_000_000_000n
const NS_PER_US = 1_000n

/**
 * Seconds for `utimes` that set the microsecond of `ns`, as a numeric string: Node takes
 * a negative number for "now", but not a negative string. libuv truncates the fraction
 * towards zero to whole microseconds, after a double (which holds a present-day instant
 * to about 240 ns): aiming half a microsecond away from zero lands in the right one.
 */
function secondsSetting(ns: bigint): string {
  const micro = ns - (((ns % NS_PER_US) + NS_PER_US) % NS_PER_US)
  const aim = micro + (micro < 0n ? -NS_PER_US / 2n : NS_PER_US / 2n)
  const magnitude = aim < 0n ? -aim : aim
  return `${aim < 0n ? '-' : ''}${magnitude / NS_PER_S}.${String(magnitude % NS_PER_S).padStart(9, '0')}`
}

/**
 * Puts back the mtime a directory had (`before`) after a probe created and removed
 * entries in it: a probe must not make a root look changed, or a source root's mtime
 * would differ from its replica's after every probe. It comes back to the microsecond
 * (all Node can set), so exactly when it was set by treesync or any other Node program.
 * Failing to put it back is not an error: it costs at worst one directory mtime update in
 * a plan.
 */
export async function restoreDirectoryMtime(dir: string, before: BigIntStats): Promise<void> {
  try {
    const after = await stat(dir, {bigint: true})
    if (after.mtimeNs !== before.mtimeNs) await utimes(dir, secondsSetting(before.atimeNs), secondsSetting(before.mtimeNs))
  } catch {
    // The directory went away, or is not ours to set times on: see above.
  }
}
