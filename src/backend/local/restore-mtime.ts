import type {BigIntStats} from 'node:fs'
import {stat, utimes} from 'node:fs/promises'

const NS_PER_S = 1_000_000_000n
const NS_PER_MS = 1_000_000n

/** The double nearest to `ns` nanoseconds, in seconds (`utimes` takes no integer form). */
function secondsOf(ns: bigint): number {
  return Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9
}

/** Whole milliseconds of a nanosecond instant, rounding down (also before 1970). */
function millisecondsOf(ns: bigint): bigint {
  const ms = ns / NS_PER_MS
  return ns < 0n && ns % NS_PER_MS !== 0n ? ms - 1n : ms
}

/**
 * Puts back the mtime a directory had (`before`) after a probe created and removed
 * entries in it: a probe must not make a root look changed, or a source root's mtime
 * would differ from its replica's after every probe. Node's `utimes` takes seconds as a
 * double, which holds a present-day instant to about 240 ns, so the nanoseconds come
 * back that close and the whole milliseconds (what plans compare) exactly. Failing to
 * put it back is not an error: it costs at worst one directory mtime update in a plan.
 */
export async function restoreDirectoryMtime(dir: string, before: BigIntStats): Promise<void> {
  try {
    let after = await stat(dir, {bigint: true})
    if (after.mtimeNs === before.mtimeNs) return
    const atime = secondsOf(before.atimeNs)
    await utimes(dir, atime, secondsOf(before.mtimeNs))
    after = await stat(dir, {bigint: true})
    const wantedMs = millisecondsOf(before.mtimeNs)
    if (millisecondsOf(after.mtimeNs) !== wantedMs) await utimes(dir, atime, secondsOf(wantedMs * NS_PER_MS + NS_PER_MS / 2n))
  } catch {
    // The directory went away, or is not ours to set times on: see above.
  }
}
