/** Wall-clock time in nanoseconds, comparable with file timestamps (ms resolution). */
export function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n
}
