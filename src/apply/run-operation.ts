import {constants} from 'node:fs'
import {chmod, copyFile, lstat, mkdir, readlink, rename, rmdir, symlink, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {isTreesyncError, TreesyncError} from '../errors.js'
import {
  copiesData,
  type CreateFileOperation,
  type DeleteOperation,
  type MetaOperation,
  type Operation,
  type RenameOperation,
  type RmdirOperation,
  type UpdateFileOperation,
} from '../plan/operation.js'
import {parentPath} from '../tree/paths.js'
import {makeTempName} from '../tree/temp-name.js'
import type {Backup} from './backup.js'
import type {DirectoryTimes} from './directory-times.js'
import {assertAbsent, assertReplicaState, sourceDrift} from './preconditions.js'
import type {RootedTree} from './rooted-tree.js'
import {setMtime} from './timestamps.js'

/** What one operation needs: where to read, where to write, and the deferred dir times. */
export interface OperationContext {
  source: RootedTree
  tree: RootedTree
  dirTimes: DirectoryTimes
  /** `--backup-dir`: where deleted and overwritten entries are kept. */
  backup?: Backup
  copyFile: CopyFile
}

/** Copies a source file's bytes to a new file (the temporary); injectable for fault tests. */
export type CopyFile = (source: string, destination: string) => Promise<void>

/** The kernel's fast paths: copy_file_range/sendfile, and a reflink where the filesystem can. */
export const kernelCopy: CopyFile = (source, destination) =>
  copyFile(source, destination, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)

/** Carries out one plan operation, checking first that its entry is as planned. */
export async function runOperation(op: Operation, ctx: OperationContext): Promise<void> {
  // A file copy checks right before it creates its temporary, so not here as well.
  if (!copiesData(op)) await ctx.tree.assertContained(op.path)
  if (op.op === 'rename') await ctx.tree.assertContained(op.from)
  if (op.op !== 'meta') await ctx.dirTimes.rememberBefore(parentPath(op.path))
  if (op.op === 'rename') await ctx.dirTimes.rememberBefore(parentPath(op.from))

  switch (op.op) {
    case 'mkdir':
      assertAbsent(op.path, await ctx.tree.lstat(op.path))
      // Owner-writable until the end, so entries can be created inside a read-only dir.
      await mkdir(ctx.tree.abs(op.path), {mode: 0o700})
      ctx.dirTimes.plan(op.path, {mode: op.mode, mtimeMs: op.mtimeMs})
      return
    case 'create':
    case 'update':
      return op.type === 'file' ? copyIntoPlace(op, ctx) : linkIntoPlace(op.path, op.target, op.op === 'update' ? op : undefined, ctx)
    case 'meta':
      return fixMetadata(op, ctx)
    case 'rename':
      return moveWithinReplica(op, ctx)
    case 'delete':
      return removeEntry(op, ctx)
    case 'rmdir':
      return removeDirectory(op, ctx)
  }
}

/**
 * Copies a source file to a temporary name beside its destination, sets its mode and
 * mtime, then renames it into place: readers of the replica see the old file or the
 * new one, never a partial one, even if the process is killed.
 */
async function copyIntoPlace(op: CreateFileOperation | UpdateFileOperation, ctx: OperationContext): Promise<void> {
  await ctx.source.assertContained(op.path)
  const sourcePath = ctx.source.abs(op.path)
  const before = await lstatOrUndefined(sourcePath)
  const drift = sourceDrift(before, op)
  if (drift) throw new TreesyncError('PLAN_STALE', `source file changed since the plan was made: ${drift}`, op.path)

  const dest = ctx.tree.abs(op.path)
  const temp = join(parentOf(dest), makeTempName())
  await ctx.tree.assertContained(op.path)
  try {
    await ctx.copyFile(sourcePath, temp)
    const after = await lstatOrUndefined(sourcePath)
    if (!after || after.ino !== before!.ino || after.mtimeNs !== before!.mtimeNs || after.size !== before!.size) {
      throw new TreesyncError('PLAN_STALE', 'source file changed while it was being copied', op.path)
    }
    // Mode and mtime are set by the temporary's path without a check of their own: a
    // directory swapped for a symlink since the check above can only lead them to a
    // random name that nothing else has, and the rename below is checked again.
    await chmod(temp, op.mode)
    await setMtime(temp, op.mtimeMs)
    await checkDestination(op, ctx)
    if (op.op === 'update') await ctx.backup?.keepCopy(dest, op.path)
    await ctx.tree.assertContained(op.path)
    await rename(temp, dest)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    // A failure on the temporary's path (it vanished from under us) is best explained by
    // a directory on the way that is no longer one.
    if (!isTreesyncError(error)) await ctx.tree.assertContained(op.path)
    throw error
  }
}

async function linkIntoPlace(
  path: string,
  target: string,
  update: Extract<Operation, {op: 'update'}> | undefined,
  ctx: OperationContext,
): Promise<void> {
  const dest = ctx.tree.abs(path)
  const temp = join(parentOf(dest), makeTempName())
  await symlink(target, temp)
  try {
    const st = await ctx.tree.lstat(path)
    if (update) assertReplicaState(path, st, update.replica, st?.isSymbolicLink() ? await readlink(dest) : undefined)
    else assertAbsent(path, st)
    if (update) await ctx.backup?.keepCopy(dest, path)
    await ctx.tree.assertContained(path)
    await rename(temp, dest)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
}

async function checkDestination(op: CreateFileOperation | UpdateFileOperation, ctx: OperationContext): Promise<void> {
  const st = await ctx.tree.lstat(op.path)
  if (op.op === 'update') assertReplicaState(op.path, st, op.replica)
  else assertAbsent(op.path, st)
}

async function fixMetadata(op: MetaOperation, ctx: OperationContext): Promise<void> {
  const st = await ctx.tree.lstat(op.path)
  if (op.type === 'dir') {
    assertReplicaState(op.path, st, {type: 'dir'})
    ctx.dirTimes.plan(op.path, {mode: op.mode, mtimeMs: op.mtimeMs})
    return
  }
  // The file must still be exactly as planned (size and the old mtime): otherwise its
  // content may have changed, and only copying it would make it right.
  assertReplicaState(op.path, st, op.replica)
  await chmod(ctx.tree.abs(op.path), op.mode)
  await setMtime(ctx.tree.abs(op.path), op.mtimeMs)
}

async function moveWithinReplica(op: RenameOperation, ctx: OperationContext): Promise<void> {
  assertReplicaState(op.from, await ctx.tree.lstat(op.from), op.replica)
  assertAbsent(op.path, await ctx.tree.lstat(op.path))
  await rename(ctx.tree.abs(op.from), ctx.tree.abs(op.path))
  await chmod(ctx.tree.abs(op.path), op.mode)
  await setMtime(ctx.tree.abs(op.path), op.mtimeMs)
}

async function removeEntry(op: DeleteOperation, ctx: OperationContext): Promise<void> {
  const st = await ctx.tree.lstat(op.path)
  const target = st?.isSymbolicLink() ? await readlink(ctx.tree.abs(op.path)) : undefined
  assertReplicaState(op.path, st, op.replica, target)
  if (ctx.backup) await ctx.backup.moveAway(ctx.tree.abs(op.path), op.path)
  else await unlink(ctx.tree.abs(op.path))
}

async function removeDirectory(op: RmdirOperation, ctx: OperationContext): Promise<void> {
  assertReplicaState(op.path, await ctx.tree.lstat(op.path), {type: 'dir'})
  try {
    await rmdir(ctx.tree.abs(op.path))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
      throw new TreesyncError('PLAN_STALE', 'directory is not empty: it holds entries the plan does not name', op.path)
    }
    throw error
  }
  ctx.dirTimes.removedDir(op.path)
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path, {bigint: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function parentOf(absPath: string): string {
  return absPath.slice(0, absPath.lastIndexOf('/'))
}
