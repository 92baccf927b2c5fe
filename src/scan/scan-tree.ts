import type {BigIntStats, Dirent} from 'node:fs'
import {lstat, readdir, readlink, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {describeFsError, TreesyncError} from '../errors.js'
import type {Entry, EntryType, Manifest, ScanWarning} from '../tree/entry.js'
import {comparePaths, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'
import {createLimiter, type Limiter} from '../util/limiter.js'
import {defaultConcurrency} from '../util/concurrency.js'

/** Decides whether a relative path is left out of the scan (neither copied nor deleted). */
export type ExcludeFn = (path: string, isDir: boolean) => boolean

/** Progress of a scan, for spinners and logs. */
export interface ScanProgress {
  root: string
  entries: number
}

export interface ScanOptions {
  exclude?: ExcludeFn
  concurrency?: number
  /** A missing root gives an empty manifest instead of an error (the replica). */
  allowMissing?: boolean
  onProgress?: (progress: ScanProgress) => void
  /** Stops the walk early (watch's SIGTERM): the scan then throws an INTERRUPTED error. */
  signal?: AbortSignal
}

const NS_PER_MS = 1_000_000n
/** Directories listed at once; each lists and stats its entries through the limiter. */
const DIRECTORY_WORKERS = 4

/**
 * Walks a tree into a manifest without following symlinks. Per-entry problems (unreadable
 * directory, special file, undecodable name) become warnings and the walk goes on; an
 * unreadable directory is kept, marked `unreadable`, so nothing under it is ever deleted
 * on the other side because the scanner could not see it. Files are not hashed here.
 */
export async function scanTree(root: string, options: ScanOptions = {}): Promise<Manifest> {
  const manifest: Manifest = {root, exists: true, entries: [], warnings: [], temporaries: [], excluded: []}
  try {
    const rootStat = await stat(root)
    if (!rootStat.isDirectory()) throw new TreesyncError('BAD_INPUT', `${root} is not a directory`, root)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && options.allowMissing) {
      return {...manifest, exists: false}
    }
    if (error instanceof TreesyncError) throw error
    throw new TreesyncError('BAD_INPUT', `cannot read ${root}: ${describeFsError(error)}`, root)
  }

  const walker = new TreeWalker(root, manifest, options)
  const rootNames = await walker.list('').catch((error: unknown) => {
    // An unreadable root must stop everything: an empty listing would read as "delete all".
    throw new TreesyncError('BAD_INPUT', `cannot read ${root}: ${describeFsError(error)}`, root)
  })
  await walker.walkAll(rootNames)
  manifest.entries.sort((a, b) => comparePaths(a.path, b.path))
  manifest.warnings.sort((a, b) => comparePaths(a.path, b.path))
  manifest.temporaries.sort(comparePaths)
  manifest.excluded.sort(comparePaths)
  return manifest
}

class TreeWalker {
  private readonly limit: Limiter

  constructor(
    private readonly root: string,
    private readonly manifest: Manifest,
    private readonly options: ScanOptions,
  ) {
    this.limit = createLimiter(options.concurrency ?? defaultConcurrency())
  }

  list(dir: string): Promise<Dirent<Buffer>[]> {
    return this.limit(() => readdir(join(this.root, dir), {encoding: 'buffer', withFileTypes: true}))
  }

  /**
   * Walks the tree from a work queue of directories, a few at a time, instead of recursing
   * into every directory at once: pending work (and memory) stays bounded by the width of
   * a few directories, not by the size of the tree.
   */
  async walkAll(rootDirents: Dirent<Buffer>[]): Promise<void> {
    const queue: Array<{dir: Entry | undefined; dirents?: Dirent<Buffer>[]}> = [{dir: undefined, dirents: rootDirents}]
    const worker = async (): Promise<void> => {
      for (let job = queue.pop(); job; job = queue.pop()) {
        for (const dir of await this.walkDir(job.dir, job.dirents)) queue.push({dir})
      }
    }
    // Workers stop when the queue is momentarily empty, so restart them while work remains.
    while (queue.length > 0) await Promise.all(Array.from({length: DIRECTORY_WORKERS}, worker))
  }

  /**
   * Lists one directory (the root's listing is given) and records its entries; returns its
   * subdirectories. An unreadable directory is kept, marked `unreadable`.
   */
  private async walkDir(dirEntry: Entry | undefined, given?: Dirent<Buffer>[]): Promise<Entry[]> {
    const dir = dirEntry?.path ?? ''
    let dirents = given
    if (!dirents) {
      try {
        dirents = await this.list(dir)
      } catch (error) {
        this.warn(dir, `cannot read directory: ${describeFsError(error)}`, 'error')
        if (dirEntry) dirEntry.unreadable = true
        return []
      }
    }
    const subdirs: Entry[] = []
    await Promise.all(
      dirents.map(async (dirent) => {
        const entry = await this.visit(dir, dirent)
        if (entry?.type === 'dir') subdirs.push(entry)
      }),
    )
    this.options.onProgress?.({root: this.root, entries: this.manifest.entries.length})
    return subdirs
  }

  private warn(path: string, message: string, level?: 'error'): void {
    this.manifest.warnings.push({path, message, ...(level ? {level} : {})} satisfies ScanWarning)
  }

  /** Records one directory entry; returns it (directories are listed later by the queue). */
  private async visit(dir: string, dirent: Dirent<Buffer>): Promise<Entry | undefined> {
    if (this.options.signal?.aborted) throw interrupted()
    const name = dirent.name.toString('utf8')
    const path = joinPath(dir, name)
    // Names that are not valid UTF-8 cannot round-trip through JS strings; copying them
    // under a mangled name would be wrong, so they are skipped loudly.
    if (!Buffer.from(name, 'utf8').equals(dirent.name)) {
      this.warn(path, 'skipped: file name is not valid UTF-8')
      this.manifest.excluded.push(path)
      return
    }
    if (isTempName(name)) {
      this.manifest.temporaries.push(path)
      return
    }
    const isDir = dirent.isDirectory()
    if (this.options.exclude?.(path, isDir)) {
      this.manifest.excluded.push(path)
      return
    }

    let st: BigIntStats
    try {
      st = await this.limit(() => lstat(join(this.root, path), {bigint: true}))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return // vanished: it is gone
      this.warn(path, `cannot stat: ${describeFsError(error)}`, 'error')
      this.manifest.entries.push(unreadableEntry(path, direntType(dirent)))
      return
    }

    const type = statType(st)
    if (type === undefined) {
      // Skipped entries are left alone like excluded ones: never deleted, their directory kept.
      this.warn(path, 'skipped: not a regular file, directory or symlink')
      this.manifest.excluded.push(path)
      return
    }
    const entry: Entry = {
      path,
      type,
      size: type === 'dir' ? 0 : Number(st.size),
      mtimeMs: Number(st.mtimeNs / NS_PER_MS),
      mode: type === 'symlink' ? 0 : Number(st.mode & 0o7777n),
      ino: st.ino,
      ctimeNs: st.ctimeNs,
      mtimeNs: st.mtimeNs,
    }
    this.manifest.entries.push(entry)
    if (type === 'symlink') await this.readTarget(entry)
    return entry
  }

  private async readTarget(entry: Entry): Promise<void> {
    try {
      const raw = await this.limit(() => readlink(join(this.root, entry.path), {encoding: 'buffer'}))
      const target = raw.toString('utf8')
      if (!Buffer.from(target, 'utf8').equals(raw)) {
        this.warn(entry.path, 'symlink target is not valid UTF-8')
        entry.unreadable = true
        return
      }
      entry.target = target
      entry.size = raw.length
    } catch (error) {
      this.warn(entry.path, `cannot read symlink: ${describeFsError(error)}`, 'error')
      entry.unreadable = true
    }
  }
}

function interrupted(): TreesyncError {
  return new TreesyncError('INTERRUPTED', 'interrupted')
}

function statType(st: BigIntStats): EntryType | undefined {
  if (st.isFile()) return 'file'
  if (st.isDirectory()) return 'dir'
  if (st.isSymbolicLink()) return 'symlink'
  return undefined
}

function direntType(dirent: Dirent<Buffer>): EntryType {
  if (dirent.isDirectory()) return 'dir'
  if (dirent.isSymbolicLink()) return 'symlink'
  return 'file'
}

function unreadableEntry(path: string, type: EntryType): Entry {
  return {path, type, size: 0, mtimeMs: 0, mode: 0, unreadable: true}
}
