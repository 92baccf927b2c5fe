import type {BigIntStats} from 'node:fs'

import type {BackendEntry} from '../backend.js'

/** The entry type of an lstat result, or `other` for FIFOs, sockets and devices. */
export function typeOfStats(st: BigIntStats): BackendEntry['type'] {
  if (st.isFile()) return 'file'
  if (st.isDirectory()) return 'dir'
  if (st.isSymbolicLink()) return 'symlink'
  return 'other'
}

/**
 * A local lstat as the engine's entry. The change token is device, inode and ctime: any
 * write, chmod, rename over or replacement of the entry changes one of them.
 */
export function entryOfStats(st: BigIntStats, target?: string): BackendEntry {
  return {
    type: typeOfStats(st),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    mode: Number(st.mode & 0o7777n),
    target,
    changeToken: `${st.dev}:${st.ino}:${st.ctimeNs}`,
  }
}
