import type {BigIntStats} from 'node:fs'
import {lstat} from 'node:fs/promises'
import {join} from 'node:path'

import {TreesyncError} from '../errors.js'
import {ancestorsOf} from '../tree/paths.js'

/**
 * A tree as apply sees it (the replica, or the source it reads from): relative paths mapped
 * under one root, with the guarantee that every directory on the way to an entry is a real
 * directory, never a symlink, so no read, write or delete is redirected outside the root.
 */
export class RootedTree {
  constructor(readonly root: string) {}

  abs(path: string): string {
    return join(this.root, path)
  }

  /** lstat of a replica path, or undefined when nothing is there. */
  async lstat(path: string): Promise<BigIntStats | undefined> {
    try {
      return await lstat(this.abs(path), {bigint: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  /**
   * Checks that each ancestor of `path` is a real directory, not a symlink. Not cached:
   * a directory can be swapped for a symlink at any moment, so callers check right
   * before each change (the window left is that of one system call).
   */
  async assertContained(path: string): Promise<void> {
    const ancestors = ancestorsOf(path).reverse()
    for (const dir of ancestors) {
      const st = await this.lstat(dir)
      if (!st) throw new TreesyncError('BAD_INPUT', `parent directory ${dir} does not exist`, dir)
      if (st.isSymbolicLink()) throw new TreesyncError('BAD_INPUT', `${dir} is a symlink: refusing to follow it out of ${this.root}`, dir)
      if (!st.isDirectory()) throw new TreesyncError('BAD_INPUT', `${dir} is not a directory`, dir)
    }
  }
}
