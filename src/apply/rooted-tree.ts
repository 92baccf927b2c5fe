import type {BigIntStats} from 'node:fs'
import {lstat, realpath} from 'node:fs/promises'
import {join} from 'node:path'

import {TreesyncError} from '../errors.js'
import {ancestorsOf, parentPath} from '../tree/paths.js'

/**
 * A tree as apply sees it (the replica, or the source it reads from): relative paths mapped
 * under one root, with the guarantee that every directory on the way to an entry is a real
 * directory, never a symlink, so no read, write or delete is redirected outside the root.
 */
export class RootedTree {
  private realRoot: Promise<string> | undefined

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
    const parent = parentPath(path)
    // One realpath(3) of the parent (a single request, resolved in C): it equals the path
    // spelled under the real root only when no directory on the way is a symlink, and the
    // trailing slash makes it fail unless every one is a directory. Only when it does not
    // match are the ancestors walked one by one, to say which one is wrong.
    let resolved: string | undefined
    try {
      resolved = await realpath(`${this.abs(parent)}/`)
      if (resolved === join(await this.resolvedRoot(), parent)) return
    } catch {
      // Explained by the walk below; or, if the walk finds nothing wrong, by the system
      // call that follows (a permission error, say), which the walk has shown is contained.
    }
    await this.walkAncestors(path)
    if (resolved !== undefined) {
      throw new TreesyncError('BAD_INPUT', `${parent || '.'} does not resolve inside ${this.root}: refusing to follow it`, parent || '.')
    }
  }

  private resolvedRoot(): Promise<string> {
    this.realRoot ??= realpath(this.root).catch(() => this.root)
    return this.realRoot
  }

  private async walkAncestors(path: string): Promise<void> {
    for (const dir of ancestorsOf(path).reverse()) {
      const st = await this.lstat(dir)
      if (!st) throw new TreesyncError('BAD_INPUT', `parent directory ${dir} does not exist`, dir)
      if (st.isSymbolicLink()) throw new TreesyncError('BAD_INPUT', `${dir} is a symlink: refusing to follow it out of ${this.root}`, dir)
      if (!st.isDirectory()) throw new TreesyncError('BAD_INPUT', `${dir} is not a directory`, dir)
    }
  }
}
