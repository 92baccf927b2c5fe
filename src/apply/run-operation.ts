import {chmod, mkdir, rename, rmdir, symlink, unlink} from 'node:fs/promises'

import {TreesyncError} from '../errors.js'
import {
  copiesData,
  type DeleteOperation,
  type MetaOperation,
  type Operation,
  type RenameOperation,
  type RmdirOperation,
} from '../plan/operation.js'
import {parentPath} from '../tree/paths.js'
import {tempPathBeside} from '../tree/temp-name.js'
import type {Backup} from './backup.js'
import type {DirectoryTimes} from './directory-times.js'
import type {CopyOperation} from './copy-into-place.js'
import {assertAbsent, assertReplicaState} from './preconditions.js'
import type {RootedTree} from './rooted-tree.js'
import {setMtime} from './timestamps.js'

/** What one operation needs: where to read, where to write, and the deferred dir times. */
export interface OperationContext {
  source: RootedTree
  tree: RootedTree
  dirTimes: DirectoryTimes
  /** `--backup-dir`: where deleted and overwritten entries are kept. */
  backup?: Backup
  /** Copies a file into place (`copyIntoPlace`, here or in a worker thread). */
  copy: (op: CopyOperation) => Promise<void>
}

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
      return op.type === 'file' ? ctx.copy(op) : linkIntoPlace(op.path, op.target, op.op === 'update' ? op : undefined, ctx)
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

async function linkIntoPlace(
  path: string,
  target: string,
  update: Extract<Operation, {op: 'update'}> | undefined,
  ctx: OperationContext,
): Promise<void> {
  const dest = ctx.tree.abs(path)
  const temp = tempPathBeside(dest)
  await symlink(target, temp)
  try {
    if (update) {
      const {st, target: current} = await ctx.tree.lstatWithTarget(path)
      assertReplicaState(path, st, update.replica, current)
      await ctx.backup?.keepCopy(dest, path)
    } else {
      assertAbsent(path, await ctx.tree.lstat(path))
    }
    await ctx.tree.assertContained(path)
    await rename(temp, dest)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
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
  const {st, target} = await ctx.tree.lstatWithTarget(op.path)
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

