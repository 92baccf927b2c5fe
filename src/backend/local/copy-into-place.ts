import type {BigIntStats} from 'node:fs'

import {isTreesyncError, TreesyncError} from '../../errors.js'
import {tempPathBeside} from '../../tree/temp-name.js'
import {ABSENT, type ContentHash, type ExpectedState, type WriteAttributes} from '../backend.js'
import {assertExpected, sourceDrift} from '../preconditions.js'
import type {Backup} from './backup.js'
import type {FileIo} from './file-io.js'
import {entryOfStats} from './local-entry.js'
import type {RootedTree} from './rooted-tree.js'

/** One local file copy, as `LocalBackend.writeFile` asks for it (plain data: it crosses to copy workers). */
export interface CopyJob {
  /** Path of the file in the source tree and in the replica. */
  sourcePath: string
  path: string
  /** The source file as planned (see `SourceFile.expected`). */
  source: {size?: number; mtimeMs: number}
  attributes: WriteAttributes
  expected: ExpectedState
}

/** What a file copy needs; `io` makes the system calls (on this thread or in a worker). */
export interface CopyContext {
  source: RootedTree
  tree: RootedTree
  io: FileIo
  /** `--backup-dir`: where overwritten files are kept. */
  backup?: Backup
  /** Set the mtime again on the final name: FAT drivers (fusefat) reset it when a file is renamed. */
  mtimeAfterRename?: boolean
}

/**
 * Copies a source file to a temporary name beside its destination, checks that the copy
 * holds the bytes the plan was made with (when it carries their MD5), sets its mode and
 * mtime, then renames it into place: readers of the replica see the old file or the new
 * one, never a partial one, even if the process is killed.
 */
export async function copyIntoPlace(job: CopyJob, ctx: CopyContext): Promise<void> {
  const {io} = ctx
  const {path, attributes: wanted} = job
  await ctx.source.assertContained(job.sourcePath)
  const sourcePath = ctx.source.abs(job.sourcePath)
  const before = await io.lstat(sourcePath)
  const drift = sourceDrift(before && entryOfStats(before), job.source)
  if (drift) throw new TreesyncError('PLAN_STALE', `source file changed since the plan was made: ${drift}`, path)

  const dest = ctx.tree.abs(path)
  const temp = tempPathBeside(dest)
  await ctx.tree.assertContained(path)
  try {
    await io.copyFile(sourcePath, temp)
    const after = await io.lstat(sourcePath)
    if (!after || after.ino !== before!.ino || after.mtimeNs !== before!.mtimeNs || after.size !== before!.size) {
      throw new TreesyncError('PLAN_STALE', 'source file changed while it was being copied', path)
    }
    const modeChanged = await assertPlannedContent(path, wanted, temp, io)
    // Mode and mtime are set by the temporary's path without a check of their own: a
    // directory swapped for a symlink since the check above can only lead them to a
    // random name that nothing else has, and the rename below is checked again.
    const mode = wanted.mode ?? (modeChanged ? Number(before!.mode & 0o7777n) : undefined)
    if (mode !== undefined && (modeChanged || !copyGaveMode(mode, before!, after, io))) await io.chmod(temp, mode)
    await io.setMtime(temp, wanted.mtimeMs)
    const st = await ctx.tree.lstat(path)
    assertExpected(path, st && entryOfStats(st), job.expected)
    if (job.expected !== ABSENT) await ctx.backup?.keepCopy(dest, path)
    await ctx.tree.assertContained(path)
    await io.rename(temp, dest)
    if (ctx.mtimeAfterRename) await io.setMtime(dest, wanted.mtimeMs)
  } catch (error) {
    // EEXIST: the temporary's name was taken (it is created exclusively), so it is not ours.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      await Promise.resolve()
        .then(() => io.unlink(temp))
        .catch(() => undefined)
    }
    // A failure on the temporary's path (it vanished from under us) is best explained by
    // a directory on the way that is no longer one.
    if (!isTreesyncError(error)) await ctx.tree.assertContained(path)
    throw error
  }
}

/**
 * Throws PLAN_STALE when the copied bytes are not those the plan carries the MD5 of: the
 * source was rewritten since it was planned, keeping its size and mtime (which is all the
 * checks before a copy compare), or the copy went wrong. The temporary is hashed rather than
 * the source, so what is checked is what would land. Under `--compare size-mtime` a plan
 * carries no MD5 and nothing is hashed: that mode promises no reading of contents.
 * Returns true when it changed the temporary's mode to read it.
 */
async function assertPlannedContent(path: string, wanted: WriteAttributes, temp: string, io: FileIo): Promise<boolean> {
  if (wanted.md5 === undefined) return false
  // One byte past the planned size: a longer copy then differs, however its start hashes.
  const limit = wanted.size + 1
  let modeChanged = false
  let copied: ContentHash
  try {
    copied = await io.hashFile(temp, limit)
  } catch (error) {
    // The copy has the source's mode, which may deny its owner (us) reading: a file of
    // someone else's that only others may read. Root is never denied.
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error
    await io.chmod(temp, 0o600)
    modeChanged = true
    copied = await io.hashFile(temp, limit)
  }
  if (copied.size === wanted.size && copied.md5 === wanted.md5) return modeChanged
  const found = copied.size === wanted.size ? `MD5 ${copied.md5}, planned ${wanted.md5}` : `${copied.size} bytes copied, ${wanted.size} planned`
  throw new TreesyncError('PLAN_STALE', `source file content changed since the plan was made (${found})`, path)
}

/**
 * Whether the copy already gave the temporary the planned `mode`, so no chmod is needed:
 * the copy keeps the source's mode (see FileIo), the source had the planned mode, and its
 * unchanged ctime proves it kept it during the copy. Not with setuid or setgid bits: the
 * kernel clears them when an unprivileged process writes the file after they were set.
 */
function copyGaveMode(mode: number, before: BigIntStats, after: BigIntStats, io: FileIo): boolean {
  return io.copyKeepsMode && (mode & 0o6000) === 0 && after.ctimeNs === before.ctimeNs && Number(before.mode & 0o7777n) === mode
}
