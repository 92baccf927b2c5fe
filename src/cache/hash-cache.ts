import type {FileIdentity, HashRecord, PackedHashes} from './packed-hashes.js'

export {DirectoryHashes, isRacy, RACY_WINDOW_MS, type FileIdentity, type HashRecord, type PackedHashes} from './packed-hashes.js'

/**
 * One tree's remembered file hashes, keyed on what proves a file unchanged since it was
 * hashed: its size, mtime and ctime in nanoseconds and its inode (a record is used only
 * when all four match; one taken too soon after a change to be trusted is never kept).
 * The scan and apply are handed one (a file on disk for the CLI, `MemoryHashCache` in
 * tests) and only record into it; whoever opened it saves it once, at the end of the run.
 *
 * Scanner threads get one directory's hashes at a time, packed as plain data
 * (`directoryHashes`), and hand back what they found the same way (`storeDirectory`).
 * A cache that cannot vouch for a hash only costs a re-hash: results never depend on it.
 */
export interface HashCache {
  /** What the cache is, for messages (its file). */
  readonly name: string
  /** Why what was stored could not be used at all, if so (for a warning): it is then replaced. */
  readonly problem?: string

  /** The MD5 remembered for the file at `path` (relative to the root) with exactly this identity. */
  lookup(path: string, identity: FileIdentity): string | undefined
  /**
   * Remembers a file's hash, for an identity examined (stat'ed) at `examinedNs` on the wall
   * clock; a racy identity forgets the path instead.
   */
  record(path: string, record: HashRecord, examinedNs: bigint): void
  /** Forgets a path (it was removed or replaced). */
  forget(path: string): void

  /**
   * The hashes remembered for the files of one directory, packed for a scanner thread ('' when
   * none). Throws an Error saying what is wrong when they are damaged; they are then dropped.
   */
  directoryHashes(dir: string): PackedHashes
  /** Replaces everything remembered of one directory's files with what a scan packed. */
  storeDirectory(dir: string, hashes: PackedHashes): void
  /** A scan listed the whole tree and found exactly these directories: the others' records are dropped. */
  keepDirectories(dirs: Iterable<string>): void

  /** Writes what changed, if anything, and releases what the cache holds: nothing may follow. */
  save(): Promise<void>
  /** Releases what the cache holds without saving: nothing may follow. */
  close(): void
}

/** The hash caches of both trees of a sync. */
export interface TreeHashCaches {
  source: HashCache
  replica: HashCache
}
