import type {Stats} from 'ssh2'

import {TreesyncError} from '../../errors.js'
import {ancestorsOf, parentPath} from '../../tree/paths.js'
import type {BackendEntry} from '../backend.js'
import type {SftpCalls} from './sftp-calls.js'
import {entryOfAttributes, typeOfAttributes} from './sftp-entry.js'

/** A directory on the way to an entry is missing: nothing can be there. */
export class MissingRemoteDirectoryError extends TreesyncError {
  constructor(dir: string) {
    super('BAD_INPUT', `directory ${dir} does not exist`, dir)
  }
}

/**
 * The remote tree under one root: relative paths mapped to absolute remote ones, and the
 * containment check every change makes first. SFTP names everything by path and the
 * server resolves a symlink anywhere in the middle of one, so before each change every
 * directory on the way from the root is lstat'ed and must be a real directory. The window
 * left is the time between that check and the request itself (one round trip): a
 * directory swapped for a symlink in between redirects the request. SFTP has no
 * `openat` to close it; the same holds for the local backend's one system call.
 */
export class RemoteTree {
  constructor(
    private readonly calls: SftpCalls,
    /** The root's absolute remote path, normalised (no trailing slash except for `/`). */
    readonly rootPath: string,
    /** The root as the user named it, for messages. */
    readonly rootLabel: string,
  ) {}

  /** The absolute remote path of a relative path (`''` is the root). */
  abs(path: string): string {
    if (path === '') return this.rootPath
    return this.rootPath === '/' ? `/${path}` : `${this.rootPath}/${path}`
  }

  /** lstat of a relative path, or undefined when nothing is there. */
  lstat(path: string): Promise<Stats | undefined> {
    return this.calls.lstat(this.abs(path))
  }

  /** The entry at a path (a symlink's target read), or undefined when nothing is there. */
  async entry(path: string): Promise<BackendEntry | undefined> {
    const attrs = await this.lstat(path)
    if (!attrs) return undefined
    const target = typeOfAttributes(attrs) === 'symlink' ? await this.calls.readlink(this.abs(path)) : undefined
    return entryOfAttributes(attrs, target)
  }

  /**
   * The entry at a path, read together with the containment check (the lstats go out in
   * one batch: one round trip, not two). Throws as `assertContained` does, whatever the
   * entry: an entry read through a symlinked directory is never returned.
   */
  async containedEntry(path: string): Promise<BackendEntry | undefined> {
    const [contained, entry] = await Promise.allSettled([this.assertContained(path), this.entry(path)])
    if (contained.status === 'rejected') throw contained.reason
    if (entry.status === 'rejected') throw entry.reason
    return entry.value
  }

  /** Checks that the root and every ancestor of `path` is a real directory (see the class). */
  assertContained(path: string): Promise<void> {
    return this.assertDirectoryContained(parentPath(path))
  }

  /**
   * Checks that `dir` itself, the root and every directory between them is a real
   * directory, not a symlink. Not cached: a directory can become a symlink at any moment.
   * The lstats are sent together, so the check costs one round trip however deep `dir` is.
   */
  async assertDirectoryContained(dir: string): Promise<void> {
    const dirs = dir === '' ? [''] : ['', ...[dir, ...ancestorsOf(dir)].reverse()]
    const found = await Promise.all(dirs.map((d) => this.lstat(d)))
    for (const [i, d] of dirs.entries()) {
      const st = found[i]
      const type = st && typeOfAttributes(st)
      if (d === '') {
        if (type !== 'dir') throw new TreesyncError('BAD_INPUT', `${this.rootLabel} is ${type === 'symlink' ? 'now a symlink: refusing to follow it' : 'no longer a directory'}`, '')
        continue
      }
      if (!type) throw new MissingRemoteDirectoryError(d)
      if (type === 'symlink') throw new TreesyncError('BAD_INPUT', `${d} is a symlink: refusing to follow it out of ${this.rootLabel}`, d)
      if (type !== 'dir') throw new TreesyncError('BAD_INPUT', `${d} is not a directory`, d)
    }
  }
}
