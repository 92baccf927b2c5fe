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
  private readonly verifiedDirs = new Set<string>([''])

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
   * Checks that each ancestor of `path` is a real directory (checked once per apply and
   * remembered). Throws when one is a symlink or not a directory.
   */
  async assertContained(path: string): Promise<void> {
    const ancestors = ancestorsOf(path).reverse()
    for (const dir of ancestors) {
      if (this.verifiedDirs.has(dir)) continue
      const st = await this.lstat(dir)
      if (!st) throw new TreesyncError('BAD_INPUT', `parent directory ${dir} does not exist`, dir)
      if (st.isSymbolicLink()) throw new TreesyncError('BAD_INPUT', `${dir} is a symlink: refusing to follow it out of ${this.root}`, dir)
      if (!st.isDirectory()) throw new TreesyncError('BAD_INPUT', `${dir} is not a directory`, dir)
      this.verifiedDirs.add(dir)
    }
  }

  /** Records a directory this apply created. */
  madeDir(path: string): void {
    this.verifiedDirs.add(path)
  }

  /** Forgets a directory this apply removed. */
  removedDir(path: string): void {
    this.verifiedDirs.delete(path)
  }
}
