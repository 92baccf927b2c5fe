import type {Readable} from 'node:stream'

import type {EntryType} from '../tree/entry.js'
import type {Capabilities} from './capabilities.js'

/**
 * One entry as a backend reports it (an lstat: a final symlink is never followed). The
 * engine's own type: scan, apply and verify compare these, never a backend's native stats.
 */
export interface BackendEntry {
  /** `other` for FIFOs, sockets and devices: listed so they can be warned about, never copied. */
  type: EntryType | 'other'
  /** Bytes of a file; the target's length for a symlink; 0 or the backend's own figure otherwise. */
  size: number
  /** Modification time in nanoseconds since the epoch, at the backend's precision (`capabilities.mtimePrecisionNs`). */
  mtimeNs: bigint
  /** Permission bits (`mode & 0o7777`) where the backend keeps them (`capabilities.modes`), else undefined. */
  mode?: number
  /** A symlink's target text, exactly as stored. */
  target?: string
  /**
   * Opaque; equal tokens prove the entry unchanged where size and mtime alone might not
   * (local: device, inode and ctime; S3: the ETag). Compared for equality only: what the
   * hash cache keys on, and what a copy checks its source kept while it was read.
   */
  changeToken: string
  /** Hex MD5 of a file's content when the backend has it without reading the data (`capabilities.freeHashes`). */
  md5?: string
}

/** One entry of a directory listing: its name within the directory and what `stat` would report. */
export interface ListedEntry extends BackendEntry {
  name: string
}

/** The MD5 of (the start of) a file and how many bytes were hashed (the file may change under us). */
export interface ContentHash {
  md5: string
  size: number
}

/**
 * An entry as the plan saw it (a plan's `ReplicaState` is one): what a change checks is
 * still there, right before it makes the change. Fields left out are not compared.
 */
export interface ExpectedEntry {
  type: EntryType
  size?: number
  /** Whole milliseconds, as plans record mtimes. */
  mtimeMs?: number
  target?: string
}

/** What a change that creates an entry expects to find at its path: nothing. */
export const ABSENT = 'absent' as const

/** What a change expects at its path: an entry as planned, or `ABSENT`. */
export type ExpectedState = ExpectedEntry | typeof ABSENT

/** The file a write copies from, on any backend, and what it must still be. */
export interface SourceFile {
  backend: Backend
  path: string
  /**
   * The source file as planned: the write is refused (PLAN_STALE) when the file differs
   * before the copy or changed while it was read (size compared when given).
   */
  expected: {size?: number; mtimeMs: number}
}

/** What a written file must hold and the attributes it gets. */
export interface WriteAttributes {
  /** Bytes the plan expects to copy. */
  size: number
  /** When given, the bytes that land are hashed and the write is refused (PLAN_STALE) unless they match. */
  md5?: string
  /** Permission bits to set; undefined leaves the backend's default (a replica without modes). */
  mode?: number
  /** Whole-millisecond mtime to set. */
  mtimeMs: number
}

/** Metadata `setMetadata` changes: each field left out is left as it is. */
export interface MetadataChange {
  mode?: number
  mtimeMs?: number
}

/**
 * One tree that treesync reads or writes: a local folder, and later an SFTP folder or an
 * S3 prefix (rclone's `fs.Fs`/`fs.Object`). Everything scan, plan-time hashing, apply,
 * verify, the temporary sweep, backups and hash-cache recording need of a tree goes
 * through here; the engine never imports `node:fs` or a network client beside it.
 *
 * Paths are relative to the root and `/`-separated (`''` is the root). The backend owns
 * containment: nothing is ever read, written or removed outside the root, whatever a
 * directory on the way has become (a symlink swapped in is refused with BAD_INPUT).
 *
 * Every change checks its precondition right before it is made, and refuses with a
 * PLAN_STALE `TreesyncError` naming the path when the entry is not the `expected` one:
 * apply never acts on something the plan did not see. Files are replaced atomically
 * (`capabilities.atomicReplace`): a reader sees the old file or the new one under its
 * name, never a partial one. Other failures are thrown as they come (an fs error, say);
 * the caller names the path it was working on.
 */
export interface Backend {
  /** The root as the user named it (a path, or a URL for a remote one): for messages. */
  readonly root: string
  /** What this root can keep (probed for a local folder). */
  readonly capabilities: Capabilities

  /** The entries of a directory, in no particular order; symlink targets read. Throws when it is not a directory. */
  list(dir: string): Promise<ListedEntry[]>
  /**
   * Optional: a scan is about to list the whole tree, folder by folder. A backend that
   * can list it all in fewer requests (S3's flat listings, rclone's `ListR`) may start now.
   */
  willListTree?(): void
  /** One entry (symlink target read), or undefined when nothing is there. */
  stat(path: string): Promise<BackendEntry | undefined>
  /** MD5 of a regular file's first `limit` bytes (default: all), never through a final symlink. */
  hash(path: string, limit?: number): Promise<ContentHash>
  /** A stream of a regular file's bytes, never through a final symlink. */
  openRead(path: string): Promise<Readable>

  /**
   * Writes a file atomically from another backend's file (or this one's): the bytes go to
   * a temporary and replace `path` only when complete, checked (`attributes.md5`) and given
   * their attributes, and only if `path` still holds `expected` right before.
   */
  writeFile(path: string, from: SourceFile, attributes: WriteAttributes, expected: ExpectedState): Promise<void>
  /** Creates or atomically replaces a symlink at `path`, if `path` still holds `expected`. */
  symlink(path: string, target: string, expected: ExpectedState): Promise<void>
  /** Creates a directory where nothing is (PLAN_STALE if something appeared), with `mode` where modes are kept. */
  mkdir(path: string, mode?: number): Promise<void>
  /** Removes an empty directory; one holding anything is refused (PLAN_STALE). */
  rmdir(path: string): Promise<void>
  /** Removes a file or symlink that is still `expected`. */
  remove(path: string, expected: ExpectedEntry): Promise<void>
  /** Moves an entry that is still `expected` to a free path within the root (PLAN_STALE if `to` is taken). */
  move(from: string, to: string, expected: ExpectedEntry): Promise<void>
  /** Sets mode and/or mtime (never through a final symlink), if the entry is still `expected` when given. */
  setMetadata(path: string, change: MetadataChange, expected?: ExpectedEntry): Promise<void>

  /** Releases what the backend holds (worker threads, connections); no call may follow. */
  close(): Promise<void>
}
