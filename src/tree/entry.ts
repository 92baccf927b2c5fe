/** The kinds of entry a manifest holds. FIFOs, sockets and devices are skipped. */
export type EntryType = 'file' | 'dir' | 'symlink'

/** One entry of a scanned tree, as the planner sees it. */
export interface Entry {
  /** Relative, `/`-separated path. */
  path: string
  type: EntryType
  /** Bytes for files (the bytes actually hashed, when hashed), target length for links. */
  size: number
  /** Modification time in whole milliseconds since the epoch. */
  mtimeMs: number
  /** Permission bits (`mode & 0o7777`); 0 for symlinks. */
  mode: number
  /** Symlink target text, exactly as stored. */
  target?: string
  /** Hex MD5 of a file's content, when it was hashed. */
  md5?: string
  /**
   * The scanner could not read this entry (a directory's listing or a file's content).
   * The planner leaves the path and everything under it alone on both sides.
   */
  unreadable?: boolean
  /** Identity used by the hash cache: inode, ctime and mtime in nanoseconds. */
  ino?: bigint
  ctimeNs?: bigint
  mtimeNs?: bigint
}

/**
 * A problem met while scanning one path; the walk goes on. `error` marks an entry that
 * could not be read (it is left alone, and the run does not succeed); plain warnings are
 * things skipped by design (FIFOs, undecodable names).
 */
export interface ScanWarning {
  path: string
  message: string
  level?: 'error'
}

/** A scanned tree: entries sorted by `comparePaths`, plus what could not be included. */
export interface Manifest {
  /** Absolute root the paths are relative to. */
  root: string
  /** False when the root does not exist (an empty replica to be created). */
  exists: boolean
  entries: Entry[]
  warnings: ScanWarning[]
  /** Leftover treesync temporaries found (never user entries); apply sweeps them. */
  temporaries: string[]
  /** Entries left out (excluded, or skipped as special files): never copied, never deleted. */
  excluded: string[]
  /**
   * Entries equal to their counterpart in the other tree (same type, content, mode and
   * mtime), left out of `entries` because they need no operation. Counted, for the
   * delete-all guard.
   */
  matched?: number
}
