/**
 * What a root can keep, as data the planner and executor ask instead of assuming (rclone's
 * `Precision()`/`Features()`). A local root's are probed (see `backend/local/`), a remote
 * backend declares its own.
 */
export interface Capabilities {
  /** The smallest mtime step the root keeps, in nanoseconds: 1 on ext4, 1e9 on SFTP or `mkfs.ext4 -I 128`, 2e9 on FAT. */
  mtimePrecisionNs: number
  /** Permission bits are kept (not on FAT, exFAT or S3). */
  modes: boolean
  /** Symbolic links can be created (not on FAT or S3). */
  symlinks: boolean
  /** A directory exists on its own, with its own mtime (on S3 it is a key prefix: an empty one needs a marker object, and it keeps no mtime). */
  emptyDirs: boolean
  /** `A` and `a` are two names (not on FAT, exFAT or a case-insensitive volume). */
  caseSensitive: boolean
  /** Hashes listed without reading the data (S3's ETag): none for local folders. */
  freeHashes: readonly 'md5'[]
  /** A move within the root costs no data copy (a rename); S3 copies server-side. */
  cheapMove: boolean
  /** A file is replaced atomically (temporary + rename, or a single-object upload). */
  atomicReplace: boolean
}

/** A POSIX filesystem that keeps everything (ext4, tmpfs, xfs, btrfs): the default before probing. */
export const FULL_CAPABILITIES: Readonly<Capabilities> = Object.freeze({
  mtimePrecisionNs: 1,
  modes: true,
  symlinks: true,
  emptyDirs: true,
  caseSensitive: true,
  freeHashes: Object.freeze([]) as readonly 'md5'[],
  cheapMove: true,
  atomicReplace: true,
})

/** The capabilities of both roots of a sync: planning inputs. */
export interface RootCapabilities {
  source: Capabilities
  replica: Capabilities
}

/** True when a root keeps less than a full POSIX filesystem (plan output names such roots). */
export function isLimited(c: Capabilities): boolean {
  return c.mtimePrecisionNs > 1 || !c.modes || !c.symlinks || !c.emptyDirs || !c.caseSensitive || !c.cheapMove || !c.atomicReplace
}
