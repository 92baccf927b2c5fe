import {constants} from 'node:fs'
import {copyFile, link, lstat, mkdir, readlink, rename, symlink, unlink} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {promiseIo, type FileIo} from './file-io.js'

/**
 * `--backup-dir`: entries apply would delete or overwrite are kept under the backup
 * directory at their relative path, or with a timestamp suffix when that name is taken.
 */
export class Backup {
  private readonly suffix: string

  constructor(
    readonly dir: string,
    startedAt: Date,
    private readonly io: Pick<FileIo, 'lstat'> = promiseIo(),
  ) {
    this.suffix = startedAt.toISOString().replace(/[:.]/g, '-')
  }

  /**
   * Keeps a copy of the replica entry that is about to be overwritten, leaving it in place:
   * a hard link when the backup is on the same filesystem, a copy otherwise. The atomic
   * rename that replaces the entry then follows as usual. Neither ever replaces a name
   * that was taken since it was found free: the backup fails instead (EEXIST).
   */
  async keepCopy(abs: string, rel: string): Promise<string> {
    const target = await this.freeTarget(rel)
    try {
      await link(abs, target)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw error
      await this.copyEntry(abs, target)
    }
    return target
  }

  /**
   * Moves a replica entry that is being deleted into the backup directory. A rename, so it
   * works wherever the entry can be deleted (hard links may be refused) and moves exactly
   * what is there; it would replace a name taken in the backup directory in the instant
   * since it was found free, which only another writer there could do.
   */
  async moveAway(abs: string, rel: string): Promise<string> {
    const target = await this.freeTarget(rel)
    try {
      await rename(abs, target)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      await this.copyEntry(abs, target)
      await unlink(abs)
    }
    return target
  }

  private async copyEntry(abs: string, target: string): Promise<void> {
    const st = await lstat(abs)
    if (st.isSymbolicLink()) await symlink(await readlink(abs), target)
    else await copyFile(abs, target, constants.COPYFILE_EXCL)
  }

  private async freeTarget(rel: string): Promise<string> {
    const base = join(this.dir, rel)
    await mkdir(dirname(base), {recursive: true})
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? base : n === 1 ? `${base}.${this.suffix}` : `${base}.${this.suffix}-${n}`
      // Only a missing name is free. Any other error (EACCES, EIO…) fails the backup, and
      // with it the operation, rather than write over a backup that could not be checked.
      if ((await this.io.lstat(candidate)) === undefined) return candidate
    }
  }
}
