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
  await walker.walk('', rootNames)
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

  async walk(dir: string, dirents: Dirent<Buffer>[]): Promise<void> {
    await Promise.all(dirents.map((dirent) => this.visit(dir, dirent)))
    this.options.onProgress?.({root: this.root, entries: this.manifest.entries.length})
  }

  private warn(path: string, message: string, level?: 'error'): void {
    this.manifest.warnings.push({path, message, ...(level ? {level} : {})} satisfies ScanWarning)
  }

  private async visit(dir: string, dirent: Dirent<Buffer>): Promise<void> {
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

    if (type === 'symlink') {
      await this.readTarget(entry)
    } else if (type === 'dir') {
      let children: Dirent<Buffer>[]
      try {
        children = await this.list(path)
      } catch (error) {
        this.warn(path, `cannot read directory: ${describeFsError(error)}`, 'error')
        entry.unreadable = true
        return
      }
      await this.walk(path, children)
    }
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
