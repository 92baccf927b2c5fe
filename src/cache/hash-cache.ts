import {closeSync, constants, openSync} from 'node:fs'
import {lstat, mkdir, readdir, unlink} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {baseName, parentPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'
import {readChunkAt, readIndex, writeCacheFile, type ChunkSpan} from './cache-file.js'
import {chunkOf, isRacy, linesOf, recordLine, type HashRecord} from './cache-records.js'

export {isRacy, RACY_WINDOW_MS, type FileIdentity, type HashRecord} from './cache-records.js'

/** The file and the index of the cache as it is on disk, open for reading. */
interface StoredCache {
  fd: number
  index: Map<string, ChunkSpan>
}

/**
 * The persistent hash cache of one tree (file layout in cache-file.ts). While a scan runs,
 * the file stays open and scanner threads read the chunks of the directories they scan
 * (`readable`, `span`); the scan hands back the chunks that changed and the directories
 * it saw. After apply, `remember`/`forget` record what apply wrote. `save` writes a new
 * file only if something changed. A missing, foreign or corrupt cache only costs time: a
 * record is used only when every identity field matches, and a file that cannot be read
 * is ignored with a warning and replaced.
 */
export class HashCache {
  private stored: StoredCache | undefined
  /** New records per directory, from the scan and from apply. */
  private readonly changed = new Map<string, string>()
  /** Records remembered or forgotten since (after apply), by directory then name; applied when saving. */
  private readonly edits = new Map<string, Map<string, string | undefined>>()
  /** The directories the tree has, once a scan has seen them: the others are dropped. */
  private present: Set<string> | undefined
  private dirty = false
  /** The file on disk is not to be read (it was found foreign or damaged). */
  private ignoreStored: boolean

  private constructor(
    readonly file: string,
    readonly root: string,
    stored: StoredCache | undefined,
    /** Why the stored cache was ignored, if it was (for a warning). */
    readonly problem: string | undefined,
  ) {
    this.stored = stored
    this.dirty = problem !== undefined
    this.ignoreStored = problem !== undefined
  }

  /** The cache file for a tree root inside a cache directory. */
  static fileFor(cacheDir: string, root: string): string {
    return join(cacheDir, 'hashes', `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.cache`)
  }

  /** Opens the cache of `root`; never throws (a bad cache opens empty, with `problem` set). */
  static async open(cacheDir: string, root: string): Promise<HashCache> {
    const file = HashCache.fileFor(cacheDir, root)
    await mkdir(join(cacheDir, 'hashes'), {recursive: true}).catch(() => undefined)
    await sweepStaleTemporaries(join(cacheDir, 'hashes'))
    let fd: number
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      return new HashCache(file, root, undefined, missing ? undefined : `cannot read hash cache ${file}`)
    }
    try {
      return new HashCache(file, root, {fd, index: readIndex(fd, root)}, undefined)
    } catch (error) {
      closeSync(fd)
      return new HashCache(file, root, undefined, `ignoring hash cache ${file}: ${(error as Error).message}`)
    }
  }

  /** The descriptor scanner threads read chunks from, while the cache is open. */
  get readable(): number | undefined {
    return this.stored?.fd
  }

  /** Where the stored records of a directory are, if it has any. */
  span(dir: string): ChunkSpan | undefined {
    return this.stored?.index.get(dir)
  }

  /** Takes a scan's outcome: the records of directories that changed, and every directory seen. */
  takeScan(changed: ReadonlyMap<string, string>, present: Iterable<string>): void {
    for (const [dir, records] of changed) this.changed.set(dir, records)
    this.present = new Set(present)
    this.dirty ||= changed.size > 0 || [...(this.stored?.index.keys() ?? [])].some((dir) => !this.present!.has(dir))
  }

  /** Remembers a hash for a file identity examined (stat'ed) at `examinedNs` (wall clock). */
  remember(path: string, record: HashRecord, examinedNs: bigint): void {
    this.edit(path, isRacy(record, examinedNs) ? undefined : recordLine(baseName(path), record))
  }

  /** Forgets a path (it was removed or replaced). */
  forget(path: string): void {
    this.edit(path, undefined)
  }

  /**
   * Writes the records atomically (temporary file + rename) if they changed, and closes
   * the stored file: later edits (after apply) reopen the file just written.
   */
  async save(): Promise<void> {
    try {
      this.applyEdits()
      if (!this.dirty) return
      const stored = this.storedFile()
      const dirs = new Set([...(this.present ?? stored?.index.keys() ?? []), ...this.changed.keys()])
      writeCacheFile(this.file, this.root, dirs, (dir) => this.recordsOf(dir))
      this.dirty = false
      this.ignoreStored = false
      this.changed.clear()
      this.present = undefined
    } finally {
      this.close()
    }
  }

  /** Closes the stored file, if open (a cache not saved must still be closed). */
  close(): void {
    if (this.stored) closeSync(this.stored.fd)
    this.stored = undefined
  }

  /** The file on disk, opened on demand; undefined when there is none or it is unusable. */
  private storedFile(): StoredCache | undefined {
    if (this.stored || this.ignoreStored) return this.stored
    let fd: number
    try {
      fd = openSync(this.file, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch {
      return undefined
    }
    try {
      this.stored = {fd, index: readIndex(fd, this.root)}
    } catch {
      closeSync(fd)
      this.ignoreStored = true
    }
    return this.stored
  }

  private recordsOf(dir: string): string {
    const changed = this.changed.get(dir)
    if (changed !== undefined) return changed
    const stored = this.storedFile()
    const span = stored?.index.get(dir)
    if (!stored || !span) return ''
    try {
      return readChunkAt(stored.fd, span, dir)
    } catch {
      return '' // damaged: its files are hashed again next time
    }
  }

  private edit(path: string, line: string | undefined): void {
    const dir = parentPath(path)
    const edits = this.edits.get(dir) ?? new Map<string, string | undefined>()
    edits.set(baseName(path), line)
    this.edits.set(dir, edits)
  }

  /** Folds the edits into their directories' records, one pass per directory. */
  private applyEdits(): void {
    for (const [dir, edits] of this.edits) {
      const before = this.recordsOf(dir)
      const lines = linesOf(before)
      for (const [name, line] of edits) {
        if (line === undefined) lines.delete(name)
        else lines.set(name, line)
      }
      const records = chunkOf(lines)
      if (records === before) continue
      this.changed.set(dir, records)
      this.dirty = true
    }
    this.edits.clear()
  }
}

/** A cache write interrupted this long ago (a killed process) left its temporary behind. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000

/**
 * Removes temporaries of cache writes that were killed. Recent ones are left alone: they
 * may be another treesync's write in progress (all trees share the directory).
 */
async function sweepStaleTemporaries(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names.filter(isTempName)) {
    const st = await lstat(join(dir, name)).catch(() => undefined)
    if (st?.isFile() && Date.now() - st.mtimeMs > STALE_TEMPORARY_MS) await unlink(join(dir, name)).catch(() => undefined)
  }
}
