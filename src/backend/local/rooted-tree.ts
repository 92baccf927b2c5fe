import type {BigIntStats} from 'node:fs'
import {join} from 'node:path'

import {TreesyncError} from '../../errors.js'
import {ancestorsOf, parentPath} from '../../tree/paths.js'
import type {BackendEntry} from '../backend.js'
import {promiseIo, type FileIo} from './file-io.js'
import {entryOfStats} from './local-entry.js'

/** A directory on the way to an entry is missing: nothing can be there. */
export class MissingDirectoryError extends TreesyncError {
  constructor(dir: string) {
    super('BAD_INPUT', `directory ${dir} does not exist`, dir)
  }
}

/**
 * A tree as apply sees it (the replica, or the source it reads from): relative paths mapped
 * under one root, with the guarantee that every directory on the way to an entry is a real
 * directory, never a symlink, so no read, write or delete is redirected outside the root.
 */
export class RootedTree {
  private realRoot: Promise<string | undefined> | undefined

  constructor(
    readonly root: string,
    private readonly io: Pick<FileIo, 'lstat' | 'readlink' | 'realpath' | 'realpathIsCheap'> = promiseIo(),
  ) {}

  abs(path: string): string {
    return join(this.root, path)
  }

  /** lstat of a replica path, or undefined when nothing is there. */
  async lstat(path: string): Promise<BigIntStats | undefined> {
    return this.io.lstat(this.abs(path))
  }

  /** An entry as the engine sees it (a symlink's target read), or undefined when nothing is there. */
  async entry(path: string): Promise<BackendEntry | undefined> {
    const st = await this.lstat(path)
    if (!st) return undefined
    return entryOfStats(st, st.isSymbolicLink() ? await this.io.readlink(this.abs(path)) : undefined)
  }

  /**
   * Checks that the root and each ancestor of `path` is a real directory, not a symlink.
   * Not cached: a directory can be swapped for a symlink at any moment, so callers check
   * right before each change (the window left is that of one system call).
   */
  async assertContained(path: string): Promise<void> {
    return this.assertDirectoryContained(parentPath(path))
  }

  /**
   * Checks that the directory `dir` itself (`''` is the root), the root and each of its
   * ancestors is a real directory, not a symlink: what reading a directory's entries needs.
   * Not cached, like `assertContained`.
   */
  async assertDirectoryContained(dir: string): Promise<void> {
    const realRoot = await this.resolvedRoot()
    if (!this.io.realpathIsCheap) return this.walkDirectories(dir, realRoot === this.root)
    // One realpath(3) of the directory (a single request, resolved in C): it equals the path
    // spelled under the real root only when no directory on the way is a symlink, and the
    // trailing slash makes it fail unless every one is a directory. Only when it does not
    // match are the directories walked one by one, to say which one is wrong.
    let resolved: string | undefined
    try {
      resolved = await this.io.realpath(`${this.abs(dir)}/`)
      if (resolved === join(realRoot ?? this.root, dir)) return
    } catch {
      // Explained by the walk below; or, if the walk finds nothing wrong, by the system
      // call that follows (a permission error, say), which the walk has shown is contained.
    }
    await this.walkDirectories(dir, realRoot === this.root)
    if (resolved !== undefined) {
      throw new TreesyncError('BAD_INPUT', `${dir || '.'} does not resolve inside ${this.root}: refusing to follow it`, dir || '.')
    }
  }

  /** The root's real path (undefined if it is missing), resolved once: what later checks compare with. */
  private resolvedRoot(): Promise<string | undefined> {
    this.realRoot ??= Promise.resolve()
      .then(() => this.io.realpath(this.root))
      .catch(() => undefined)
    return this.realRoot
  }

  private async walkDirectories(deepest: string, rootWasReal: boolean): Promise<void> {
    // The root is walked too when it was a real directory at first: then a symlink there
    // now was swapped in during apply.
    const dirs = deepest === '' ? [] : [deepest, ...ancestorsOf(deepest)].reverse()
    if (rootWasReal) dirs.unshift('')
    for (const dir of dirs) {
      const st = await this.lstat(dir)
      if (dir === '' && !st?.isDirectory()) {
        throw new TreesyncError('BAD_INPUT', `${this.root} is no longer a directory${st?.isSymbolicLink() ? ' but a symlink: refusing to follow it' : ''}`)
      }
      if (!st) throw new MissingDirectoryError(dir)
      if (st.isSymbolicLink()) throw new TreesyncError('BAD_INPUT', `${dir} is a symlink: refusing to follow it out of ${this.root}`, dir)
      if (!st.isDirectory()) throw new TreesyncError('BAD_INPUT', `${dir} is not a directory`, dir)
    }
  }
}
