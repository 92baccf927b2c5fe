import {closeSync, constants, openSync} from 'node:fs'
import {lstat, mkdir, readdir, unlink} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {baseName, parentPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'
import {readChunkAt, readIndex, writeCacheFile, type ChunkSpan} from './cache-file.js'
import type {HashCache, TreeHashCaches} from './hash-cache.js'
import {DirectoryHashes, editPacked, isRacy, type FileIdentity, type HashRecord, type PackedHashes} from './packed-hashes.js'

/** The file and the index of the cache as it is on disk, open for reading. */
interface StoredCache {
  fd: number
  index: Map<string, ChunkSpan>
}

/** The cache file of a tree root inside a cache directory. */
export function hashCacheFile(cacheDir: string, root: string): string {
  return join(cacheDir, 'hashes', `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.cache`)
}

/** Opens the file-backed hash caches of both roots of a sync (see `FileHashCache.open`). */
export async function openHashCaches(cacheDir: string, roots: {source: string; replica: string}): Promise<TreeHashCaches> {
  return {source: await FileHashCache.open(cacheDir, roots.source), replica: await FileHashCache.open(cacheDir, roots.replica)}
}

/**
 * A tree's hash cache kept in a file (layout in cache-file.ts). The file stays open while
 * the cache is, and each directory's records are read from it when asked for, so nothing
 * holds the whole cache; what changes is kept aside, and `save` writes a new file, once,
 * only when something changed. A missing, foreign or corrupt file only costs time: it
 * opens empty (with `problem` set) and is replaced.
 */
export class FileHashCache implements HashCache {
  private stored: StoredCache | undefined
  /** New records per directory, from the scan. */
  private readonly changed = new Map<string, PackedHashes>()
  /** Records set (or forgotten: undefined) one by one, by directory then name; applied when saving. */
  private readonly edits = new Map<string, Map<string, HashRecord | undefined>>()
  /** The directories the tree has, once a scan has seen them all: the others are dropped. */
  private present: Set<string> | undefined
  private dirty: boolean

  private constructor(
    readonly name: string,
    private readonly root: string,
    stored: StoredCache | undefined,
    readonly problem: string | undefined,
  ) {
    this.stored = stored
    this.dirty = problem !== undefined
  }

  /** Opens the cache of `root`; never throws (a bad cache opens empty, with `problem` set). */
  static async open(cacheDir: string, root: string): Promise<FileHashCache> {
    const file = hashCacheFile(cacheDir, root)
    await mkdir(join(cacheDir, 'hashes'), {recursive: true}).catch(() => undefined)
    await sweepStaleTemporaries(join(cacheDir, 'hashes'))
    let fd: number
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      return new FileHashCache(file, root, undefined, missing ? undefined : `cannot read hash cache ${file}`)
    }
    try {
      return new FileHashCache(file, root, {fd, index: readIndex(fd, root)}, undefined)
    } catch (error) {
      closeSync(fd)
      return new FileHashCache(file, root, undefined, `ignoring hash cache ${file}: ${(error as Error).message}`)
    }
  }

  lookup(path: string, identity: FileIdentity): string | undefined {
    const dir = parentPath(path)
    const name = baseName(path)
    const edits = this.edits.get(dir)
    if (edits?.has(name)) {
      const record = edits.get(name)
      const same = record && record.size === identity.size && record.mtimeNs === identity.mtimeNs && record.ctimeNs === identity.ctimeNs && record.ino === identity.ino
      return same ? record.md5 : undefined
    }
    try {
      return DirectoryHashes.unpack(this.directoryHashes(dir)).lookup(name, identity)
    } catch {
      return undefined
    }
  }

  record(path: string, record: HashRecord, examinedNs: bigint): void {
    this.edit(path, isRacy(record, examinedNs) ? undefined : record)
  }

  forget(path: string): void {
    this.edit(path, undefined)
  }

  directoryHashes(dir: string): PackedHashes {
    const changed = this.changed.get(dir)
    if (changed !== undefined) return changed
    const span = this.stored?.index.get(dir)
    if (!this.stored || !span) return ''
    try {
      return readChunkAt(this.stored.fd, span, dir)
    } catch (error) {
      // Dropped, so the file is rewritten without it: its files are hashed again.
      this.storeDirectory(dir, '')
      throw error
    }
  }

  storeDirectory(dir: string, hashes: PackedHashes): void {
    this.changed.set(dir, hashes)
    this.dirty = true
  }

  keepDirectories(dirs: Iterable<string>): void {
    this.present = new Set(dirs)
    for (const dir of this.stored?.index.keys() ?? []) if (!this.present.has(dir)) this.dirty = true
  }

  /** Writes the records atomically (temporary file + rename) if they changed, then closes. */
  async save(): Promise<void> {
    try {
      this.applyEdits()
      if (!this.dirty) return
      const dirs = new Set([...(this.present ?? this.stored?.index.keys() ?? []), ...this.changed.keys()])
      writeCacheFile(this.name, this.root, dirs, (dir) => this.storedOrEmpty(dir))
      this.dirty = false
    } finally {
      this.close()
    }
  }

  close(): void {
    if (this.stored) closeSync(this.stored.fd)
    this.stored = undefined
  }

  /** A directory's records as they now are; damaged ones are dropped (hashed again next time). */
  private storedOrEmpty(dir: string): PackedHashes {
    try {
      return this.directoryHashes(dir)
    } catch {
      return ''
    }
  }

  private edit(path: string, record: HashRecord | undefined): void {
    const dir = parentPath(path)
    const edits = this.edits.get(dir) ?? new Map<string, HashRecord | undefined>()
    edits.set(baseName(path), record)
    this.edits.set(dir, edits)
  }

  /** Folds the edits into their directories' records, one pass per directory. */
  private applyEdits(): void {
    for (const [dir, edits] of this.edits) {
      const before = this.storedOrEmpty(dir)
      const after = editPacked(before, edits)
      // A directory a scan did not find (a replica created by this apply) is kept for its
      // new records, even when they equal the old ones (SFTP: same size, mtime and mode).
      if (after !== before || (this.present !== undefined && !this.present.has(dir) && after !== '')) this.storeDirectory(dir, after)
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
