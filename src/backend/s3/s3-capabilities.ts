import type {Capabilities} from '../capabilities.js'

/** 1 ms in nanoseconds: the mtime step an S3 root keeps (see `S3_CAPABILITIES`). */
export const S3_MTIME_PRECISION_NS = 1_000_000

/**
 * What an S3 prefix keeps, the same on every S3-compatible store (declared, not probed:
 * nothing here depends on the server; the conditional requests it honours are probed
 * separately, see `probeConditionalWrites`).
 *
 * - `mtimePrecisionNs`, 1 ms: the `mtime` metadata could hold nanoseconds (rclone writes
 *   nine digits), but treesync writes whole milliseconds (`WriteAttributes.mtimeMs`, as
 *   plans record them) and reads an rclone mtime truncated to the millisecond, so a
 *   millisecond is what a round trip through this root keeps. Claiming 1 ns would make
 *   the racy-hash rule and the plan's window pretend to more than that; claiming 1 s
 *   (as rclone's S3 `Precision()` does for objects without metadata) would re-copy
 *   nothing more but hide real sub-second edits.
 * - `modes`, `symlinks`: false. S3 has neither (rclone keeps no modes on S3 by default,
 *   and its symlink translation `.rclonelink` is not what another reader sees).
 * - `emptyDirs`: false. A directory is not an object: it exists while some key lies under
 *   it. `mkdir` does write a zero-byte `dir/` marker (rclone's directory-marker layout), so
 *   an empty source directory still arrives and stays listed; but a directory keeps no
 *   mtime (its entry reports 0, `setMetadata` on it keeps nothing), and one made by
 *   another tool without a marker vanishes with its last file. The flag is the contract's
 *   "an empty directory exists on its own, with its attributes", which S3 does not give.
 * - `caseSensitive`: true: keys are byte strings.
 * - `freeHashes` md5: the ETag of a single-part upload, `md5chksum` of a multipart one.
 * - `cheapMove`: false: a move is a server-side copy and a delete (no data through us,
 *   but the store copies every byte: rename detection costs as much as a fresh upload's
 *   server side, and only saves the upload's bandwidth).
 * - `atomicReplace`: true: a single PUT, or a completed multipart upload, replaces the
 *   object at once; no reader ever sees a partial object under its key.
 */
export const S3_CAPABILITIES: Readonly<Capabilities> = Object.freeze({
  mtimePrecisionNs: S3_MTIME_PRECISION_NS,
  modes: false,
  symlinks: false,
  emptyDirs: false,
  caseSensitive: true,
  freeHashes: Object.freeze(['md5']) as readonly 'md5'[],
  cheapMove: false,
  atomicReplace: true,
})
