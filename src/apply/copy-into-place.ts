import type {BigIntStats} from 'node:fs'

import {isTreesyncError, TreesyncError} from '../errors.js'
import type {CreateFileOperation, UpdateFileOperation} from '../plan/operation.js'
import type {FileHash} from '../backend/local/hash-sync.js'
import {tempPathBeside} from '../tree/temp-name.js'
import type {Backup} from './backup.js'
import type {FileIo} from './file-io.js'
import {assertAbsent, assertReplicaState, sourceDrift} from './preconditions.js'
import type {RootedTree} from './rooted-tree.js'

/** A file create or update: the operations that copy data. */
export type CopyOperation = CreateFileOperation | UpdateFileOperation

/** What a file copy needs; `io` makes the system calls (on this thread or in a worker). */
export interface CopyContext {
  source: RootedTree
  tree: RootedTree
  io: FileIo
  /** `--backup-dir`: where overwritten files are kept. */
  backup?: Backup
}

/**
 * Copies a source file to a temporary name beside its destination, checks that the copy
 * holds the bytes the plan was made with (when it carries their MD5), sets its mode and
 * mtime, then renames it into place: readers of the replica see the old file or the new
 * one, never a partial one, even if the process is killed.
 */
export async function copyIntoPlace(op: CopyOperation, ctx: CopyContext): Promise<void> {
  const {io} = ctx
  await ctx.source.assertContained(op.path)
  const sourcePath = ctx.source.abs(op.path)
  const before = await io.lstat(sourcePath)
  const drift = sourceDrift(before, op)
  if (drift) throw new TreesyncError('PLAN_STALE', `source file changed since the plan was made: ${drift}`, op.path)

  const dest = ctx.tree.abs(op.path)
  const temp = tempPathBeside(dest)
  await ctx.tree.assertContained(op.path)
  try {
    await io.copyFile(sourcePath, temp)
    const after = await io.lstat(sourcePath)
    if (!after || after.ino !== before!.ino || after.mtimeNs !== before!.mtimeNs || after.size !== before!.size) {
      throw new TreesyncError('PLAN_STALE', 'source file changed while it was being copied', op.path)
    }
    const modeChanged = await assertPlannedContent(op, temp, io)
    // Mode and mtime are set by the temporary's path without a check of their own: a
    // directory swapped for a symlink since the check above can only lead them to a
    // random name that nothing else has, and the rename below is checked again.
    if (modeChanged || !copyGavePlannedMode(op, before!, after, io)) await io.chmod(temp, op.mode)
    await io.setMtime(temp, op.mtimeMs)
    const st = await ctx.tree.lstat(op.path)
    if (op.op === 'update') assertReplicaState(op.path, st, op.replica)
    else assertAbsent(op.path, st)
    if (op.op === 'update') await ctx.backup?.keepCopy(dest, op.path)
    await ctx.tree.assertContained(op.path)
    await io.rename(temp, dest)
  } catch (error) {
    // EEXIST: the temporary's name was taken (it is created exclusively), so it is not ours.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      await Promise.resolve()
        .then(() => io.unlink(temp))
        .catch(() => undefined)
    }
    // A failure on the temporary's path (it vanished from under us) is best explained by
    // a directory on the way that is no longer one.
    if (!isTreesyncError(error)) await ctx.tree.assertContained(op.path)
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
async function assertPlannedContent(op: CopyOperation, temp: string, io: FileIo): Promise<boolean> {
  if (op.md5 === undefined) return false
  // One byte past the planned size: a longer copy then differs, however its start hashes.
  const limit = op.size + 1
  let modeChanged = false
  let copied: FileHash
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
  if (copied.size === op.size && copied.md5 === op.md5) return modeChanged
  const found = copied.size === op.size ? `MD5 ${copied.md5}, planned ${op.md5}` : `${copied.size} bytes copied, ${op.size} planned`
  throw new TreesyncError('PLAN_STALE', `source file content changed since the plan was made (${found})`, op.path)
}

/**
 * Whether the copy already gave the temporary the planned mode, so no chmod is needed:
 * the copy keeps the source's mode (see FileIo), the source had the planned mode, and its
 * unchanged ctime proves it kept it during the copy. Not with setuid or setgid bits: the
 * kernel clears them when an unprivileged process writes the file after they were set.
 */
function copyGavePlannedMode(op: CopyOperation, before: BigIntStats, after: BigIntStats, io: FileIo): boolean {
  return io.copyKeepsMode && (op.mode & 0o6000) === 0 && after.ctimeNs === before.ctimeNs && Number(before.mode & 0o7777n) === op.mode
}
