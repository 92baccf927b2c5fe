import {join} from 'node:path'

import {describeFsError} from '../errors.js'
import type {Entry, Manifest} from '../tree/entry.js'
import {createLimiter} from '../util/limiter.js'
import {defaultConcurrency} from '../util/concurrency.js'
import {hashFile} from './hash-file.js'

export interface HashProgress {
  root: string
  hashed: number
  total: number
  bytes: number
}

export interface HashOptions {
  concurrency?: number
  onProgress?: (progress: HashProgress) => void
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
): Promise<void> {
  const todo = manifest.entries.filter((e) => e.type === 'file' && !e.unreadable && e.md5 === undefined && select(e))
  const limit = createLimiter(options.concurrency ?? defaultConcurrency())
  const progress: HashProgress = {root: manifest.root, hashed: 0, total: todo.length, bytes: 0}
  await Promise.all(
    todo.map((entry) =>
      limit(async () => {
        try {
          const {md5, size} = await hashFile(join(manifest.root, entry.path))
          entry.md5 = md5
          entry.size = size
          progress.bytes += size
        } catch (error) {
          entry.unreadable = true
          manifest.warnings.push({path: entry.path, message: `cannot read file: ${describeFsError(error)}`, level: 'error'})
        }
        progress.hashed++
        options.onProgress?.(progress)
      }),
    ),
  )
}
