import {mkdir, readdir, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {describeFsError} from '../errors.js'
import {baseName, parentPath} from '../tree/paths.js'
import {chunkOf, isRacy, linesOf, recordLine, type HashRecord} from './cache-records.js'
import {chunkFileName, readChunk, treeCacheDir, writeChunk} from './chunk-files.js'

export {isRacy, RACY_WINDOW_MS, type FileIdentity, type HashRecord} from './cache-records.js'

/**
 * The persistent hash cache of one tree (see chunk-files.ts for its layout). Scanners
 * read and write it a directory at a time as they go; this handle is what the rest of the
 * engine holds: it records what apply wrote, and drops the files of directories that no
 * longer exist. A missing, foreign or corrupt cache only costs time: a record is used only
 * when every identity field matches, and what cannot be read is ignored with a warning.
 */
export class HashCache {
  /** Records remembered or forgotten since the last save, by directory then name. */
  private readonly edits = new Map<string, Map<string, string | undefined>>()

  private constructor(
    /** The tree's cache directory. */
    readonly dir: string,
    readonly root: string,
    /** Why the cache cannot be used as it should, if so (for a warning). */
    readonly problem: string | undefined,
  ) {}

  /** The cache directory of a tree root inside a cache directory. */
  static directoryFor(cacheDir: string, root: string): string {
    return treeCacheDir(cacheDir, root)
  }

  /** The file holding the records of one directory of a tree. */
  static chunkFileFor(cacheDir: string, root: string, dir: string): string {
    return join(treeCacheDir(cacheDir, root), chunkFileName(dir))
  }

  /** Opens (creating) the cache of `root`; never throws (a problem is reported in `problem`). */
  static async open(cacheDir: string, root: string): Promise<HashCache> {
    const dir = treeCacheDir(cacheDir, root)
    try {
      await mkdir(dir, {recursive: true})
      return new HashCache(dir, root, undefined)
    } catch (error) {
      return new HashCache(dir, root, `cannot write hash cache ${dir}: ${describeFsError(error)}`)
    }
  }

  /** Remembers a hash for a file identity examined (stat'ed) at `examinedNs` (wall clock). */
  remember(path: string, record: HashRecord, examinedNs: bigint): void {
    this.edit(path, isRacy(record, examinedNs) ? undefined : recordLine(baseName(path), record))
  }

  /** Forgets a path (it was removed or replaced). */
  forget(path: string): void {
    this.edit(path, undefined)
  }

  /** Writes the directories whose records were remembered or forgotten since the last save. */
  async save(): Promise<void> {
    for (const [dir, edits] of this.edits) {
      let stored: string
      try {
        stored = readChunk(this.dir, this.root, dir)
      } catch {
        stored = '' // a corrupt file is replaced by the records known now
      }
      const lines = linesOf(stored)
      for (const [name, line] of edits) {
        if (line === undefined) lines.delete(name)
        else lines.set(name, line)
      }
      const records = chunkOf(lines)
      if (records !== stored) writeChunk(this.dir, this.root, dir, records)
    }
    this.edits.clear()
  }

  /** Removes the files of directories not in `scanned` (the tree no longer has them). */
  async removeStale(scanned: Iterable<string>): Promise<void> {
    const keep = new Set([...scanned].map(chunkFileName))
    for (const name of await readdir(this.dir)) {
      if (!keep.has(name)) await unlink(join(this.dir, name)).catch(() => undefined)
    }
  }

  private edit(path: string, line: string | undefined): void {
    const dir = parentPath(path)
    const edits = this.edits.get(dir) ?? new Map<string, string | undefined>()
    edits.set(baseName(path), line)
    this.edits.set(dir, edits)
  }
}
