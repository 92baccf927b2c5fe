/**
 * Telling a filesystem's mtime precision from one timestamp written and read back.
 *
 * The probe writes `PROBE_MTIME_NS` and reads what the filesystem kept. Each step a
 * filesystem may keep (1 ms, 10 ms on exFAT, 100 ms, 1 s on `mkfs.ext4 -I 128`, 2 s on
 * FAT) turns that instant into its own value, by truncation or by rounding to the nearest
 * step, so the value read back names the step. Finer steps cannot be told apart: Node's
 * `utimes` (libuv) sets whole microseconds, so a filesystem that keeps every microsecond
 * it is given is taken to keep nanoseconds (ext4, xfs, btrfs, tmpfs do; NTFS keeps 100 ns,
 * UDF 1 µs). Plans compare whole milliseconds, so nothing finer matters to them.
 */

/**
 * The instant written: an odd second (FAT's 2-second step moves it, a 1-second step does
 * not) and a fraction with a non-zero digit at every step tried. The fraction is 63/512 s,
 * so the seconds are exactly a double (Node passes `utimes` seconds as a double).
 */
export const PROBE_MTIME_SECONDS = 1_700_000_001.123_046_875

/** `PROBE_MTIME_SECONDS` in nanoseconds (2023-11-14T22:13:21.123046875Z). */
export const PROBE_MTIME_NS = 1_700_000_001_123_046_875n

/** The finest step Node can set (libuv drops the nanoseconds below a microsecond). */
const SETTABLE_STEP_NS = 1_000n

/** The steps told apart, after "everything it was given" (reported as 1 ns), finest first. */
export const MTIME_STEPS_NS: readonly number[] = Object.freeze([1_000_000, 10_000_000, 100_000_000, 1e9, 2e9])

/** `ns` truncated to a multiple of `step` (both positive). */
function truncated(ns: bigint, step: bigint): bigint {
  return ns - (ns % step)
}

/** `ns` rounded to the nearest multiple of `step`, halves up (both positive). */
function rounded(ns: bigint, step: bigint): bigint {
  return truncated(ns + step / 2n, step)
}

/**
 * The mtime precision, in nanoseconds, of a filesystem that kept `readNs` when
 * `writtenNs` was set: 1 when it kept all that was set (`writtenNs`, or `writtenNs` in
 * whole microseconds), else the finest step whose truncation or rounding of `writtenNs`
 * is `readNs`. Undefined when no step explains it (the filesystem ignored the time, or keeps
 * it some other way): the caller then falls back to what the filesystem type says.
 *
 * Always rounding up (the ceiling) is not accepted, being no filesystem's rule: with an
 * odd second and a fraction under one half, a 2-second step rounding to the nearest (the
 * second after) is then told apart from a 1-second step (the second itself, either way).
 */
export function precisionOfReadBack(readNs: bigint, writtenNs: bigint = PROBE_MTIME_NS): number | undefined {
  if (writtenNs <= 0n) throw new RangeError(`the probe instant must be after 1970, not ${writtenNs} ns`)
  if (readNs === writtenNs || readNs === truncated(writtenNs, SETTABLE_STEP_NS)) return 1
  for (const step of MTIME_STEPS_NS) {
    const stepNs = BigInt(step)
    if (readNs === truncated(writtenNs, stepNs) || readNs === rounded(writtenNs, stepNs)) return step
  }
  return undefined
}
