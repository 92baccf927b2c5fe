import {createHash} from 'node:crypto'

import type {BackendEntry} from '../backend/backend.js'
import type {Capabilities} from '../backend/capabilities.js'
import type {FileIdentity} from '../cache/packed-hashes.js'

/**
 * How a file listed by any Backend is keyed in a hash cache, and when its hash may be
 * remembered: the one place that maps a `BackendEntry` onto the cache's `FileIdentity`
 * (size, mtimeNs, ctimeNs, ino), which was made for local lstat results.
 *
 * - size and mtimeNs are the backend's own (mtime at its precision, in its clock);
 * - ctimeNs is 0: no remote backend has a ctime, and the local backend's is in the token;
 * - ino is a 63-bit digest of the entry's `changeToken` (local: device, inode and ctime;
 *   SFTP: size, mtime, mode, uid and gid; S3: ETag and LastModified), so a record is reused only
 *   while the backend's own proof of "unchanged" is the same. 63 bits keep the number
 *   positive in a signed 64-bit field; a collision needs equal size and mtime too.
 *
 * The racy rule: a file rewritten within the same mtime step as the write before it keeps
 * its mtime, so a hash taken in that step can go stale unseen. A remote mtime is also in
 * the server's clock, not ours. A hash is therefore remembered only when the file's mtime
 * lies before the scan's start by more than the backend's mtime precision plus
 * `CLOCK_SKEW_ALLOWANCE_NS`; an mtime in the future is never trusted either.
 */

/**
 * How far a backend's clock may be off ours and still be caught by the racy rule: 2 s.
 * Servers kept by NTP are off by milliseconds; 2 s also covers a host whose clock drifts
 * between syncs, and costs only a re-hash of files changed in the last seconds.
 */
export const CLOCK_SKEW_ALLOWANCE_NS = 2_000_000_000n

const INO_BITS = (1n << 63n) - 1n

/** A 63-bit digest of a change token: what stands for the inode in a cache record. */
export function changeTokenDigest(changeToken: string): bigint {
  return createHash('sha256').update(changeToken).digest().readBigUInt64BE(0) & INO_BITS
}

/** The cache identity fields of a listed file besides its size (see the module comment). */
export function identityFieldsOf(entry: BackendEntry): Pick<FileIdentity, 'mtimeNs' | 'ctimeNs' | 'ino'> {
  return {mtimeNs: entry.mtimeNs, ctimeNs: 0n, ino: changeTokenDigest(entry.changeToken)}
}

/**
 * True when a hash of a file with this identity must not be remembered: its mtime is
 * within the backend's precision plus the clock-skew allowance of the scan's start, or
 * later than that (see the module comment).
 */
export function isRacyOnBackend(identity: Pick<FileIdentity, 'mtimeNs'>, scanStartNs: bigint, capabilities: Pick<Capabilities, 'mtimePrecisionNs'>): boolean {
  const windowNs = BigInt(Math.ceil(capabilities.mtimePrecisionNs)) + CLOCK_SKEW_ALLOWANCE_NS
  return identity.mtimeNs > scanStartNs - windowNs
}
