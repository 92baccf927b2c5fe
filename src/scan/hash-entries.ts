import {join} from 'node:path'

import type {HashStore} from '../cache/hash-cache.js'
import {describeFsError, TreesyncError} from '../errors.js'
import type {Entry, Manifest} from '../tree/entry.js'
import {defaultConcurrency} from '../util/concurrency.js'
import {hashFile} from './hash-file.js'
import type {HashPool} from './hash-pool.js'

export interface HashProgress {
  root: string
  /** Files done so far (read or found in the cache). */
  hashed: number
  total: number
  /** Bytes actually read and hashed. */
  bytes: number
  /** Files whose hash came from the cache, unread. */
  cached: number
}

/** Files at least this large are hashed in worker threads; smaller ones are cheaper here. */
export const WORKER_MIN_BYTES = 256 * 1024

export interface HashOptions {
  concurrency?: number
  onProgress?: (progress: HashProgress) => void
  /** Remembered hashes: a file whose identity matches is not read again. */
  cache?: HashStore
  /** Worker threads for large files (created by the caller, shared by both trees). */
  pool?: HashPool
  /** Stops hashing early (watch's SIGTERM): then throws an INTERRUPTED error. */
  signal?: AbortSignal
}

/**
 * Fills `md5` for the manifest's files that `select` picks. A file that cannot be read
 * becomes `unreadable` with a warning (the planner then leaves its path alone); the size
 * recorded is the number of bytes actually hashed.
 */
export async function hashEntries(
  manifest: Manifest,
  select: (entry: Entry) => boolean,
  options: HashOptions = {},
): Promise<HashProgress> {
  const todo = manifest.entries.filter((e) => e.type === 'file' && !e.unreadable && e.md5 === undefined && select(e))
  const progress: HashProgress = {root: manifest.root, hashed: 0, total: todo.length, bytes: 0, cached: 0}
  const hashOne = async (entry: Entry): Promise<void> => {
    if (options.signal?.aborted) throw new TreesyncError('INTERRUPTED', 'interrupted')
    const remembered = options.cache && hasIdentity(entry) ? options.cache.lookup(entry.path, entry) : undefined
    if (remembered !== undefined) {
      entry.md5 = remembered
      progress.cached++
    } else {
      try {
        const abs = join(manifest.root, entry.path)
        const {md5, size} = options.pool && entry.size >= WORKER_MIN_BYTES ? await options.pool.hash(abs) : await hashFile(abs)
        entry.md5 = md5
        entry.size = size
        progress.bytes += size
      } catch (error) {
        entry.unreadable = true
        manifest.warnings.push({path: entry.path, message: `cannot read file: ${describeFsError(error)}`, level: 'error'})
      }
    }
    progress.hashed++
    options.onProgress?.(progress)
  }
  // A fixed set of workers pulls files by index: no promise per file up front, so memory
  // does not grow with the number of files.
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < todo.length) await hashOne(todo[next++]!)
  }
  await Promise.all(Array.from({length: Math.max(1, options.concurrency ?? defaultConcurrency())}, worker))
  return progress
}

function hasIdentity(entry: Entry): entry is Entry & {ino: bigint; ctimeNs: bigint; mtimeNs: bigint} {
  return entry.ino !== undefined && entry.ctimeNs !== undefined && entry.mtimeNs !== undefined
}
