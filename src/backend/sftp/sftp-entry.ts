import type {Attributes} from 'ssh2'

import type {BackendEntry} from '../backend.js'

/** File-type bits of an SFTP v3 `permissions` field: the same S_IFMT values as POSIX, which OpenSSH sends as is. */
const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000

const NS_PER_S = 1_000_000_000n

/** The entry type of SFTP attributes, or `other` for FIFOs, sockets and devices. */
export function typeOfAttributes(attrs: Pick<Attributes, 'mode'>): BackendEntry['type'] {
  switch (attrs.mode & S_IFMT) {
    case S_IFREG:
      return 'file'
    case S_IFDIR:
      return 'dir'
    case S_IFLNK:
      return 'symlink'
    default:
      return 'other'
  }
}

/**
 * SFTP attributes (an lstat by the server) as the engine's entry. SFTP v3 carries whole
 * seconds of mtime (so `mtimePrecisionNs` is 1e9) and no inode or ctime, so the change
 * token can only be size, mtime, mode and owner (not atime: a read may bump it). A rewrite
 * that keeps them all within the same second goes unnoticed by it. When this server is
 * the source of a copy whose plan carries an MD5, the bytes copied are hashed and checked,
 * so such a rewrite fails the copy instead of landing; when it is the replica, the check
 * before a replace or removal compares type, size and mtime only, so a same-second,
 * same-size rewrite of the replica's file there is not seen and is replaced or removed.
 */
export function entryOfAttributes(attrs: Attributes, target?: string): BackendEntry {
  const type = typeOfAttributes(attrs)
  const mode = attrs.mode & 0o7777
  return {
    type,
    // A symlink's size is its target's length on POSIX servers; prefer what was read.
    size: type === 'symlink' && target !== undefined ? Buffer.byteLength(target) : attrs.size,
    mtimeNs: BigInt(attrs.mtime) * NS_PER_S,
    mode,
    target,
    changeToken: `${attrs.size}:${attrs.mtime}:${mode}:${attrs.uid}:${attrs.gid}`,
  }
}
