import {ABSENT, type Backend} from '../backend/backend.js'
import {assertExpected} from '../backend/preconditions.js'
import type {CreateFileOperation, MetaOperation, Operation, UpdateFileOperation} from '../plan/operation.js'
import {parentPath} from '../tree/paths.js'
import type {DirectoryTimes} from './directory-times.js'

/** What one operation needs: the tree to read from, the tree to change, and the deferred dir times. */
export interface OperationContext {
  source: Backend
  replica: Backend
  dirTimes: DirectoryTimes
}

/**
 * Carries out one plan operation. Each backend call checks, right before its change, that
 * the entry is as the plan saw it (the operation's `replica` state, or nothing where it
 * creates one) and refuses with PLAN_STALE otherwise.
 */
export async function runOperation(op: Operation, ctx: OperationContext): Promise<void> {
  if (op.op !== 'meta') await ctx.dirTimes.rememberBefore(parentPath(op.path))
  if (op.op === 'rename') await ctx.dirTimes.rememberBefore(parentPath(op.from))
  const {replica} = ctx

  switch (op.op) {
    case 'mkdir':
      // Owner-writable until the end, so entries can be created inside a read-only dir.
      await replica.mkdir(op.path, 0o700)
      ctx.dirTimes.plan(op.path, {mode: op.mode, mtimeMs: op.mtimeMs})
      return
    case 'create':
    case 'update':
      if (op.type === 'file') return copyFile(op, ctx)
      return replica.symlink(op.path, op.target, op.op === 'update' ? op.replica : ABSENT)
    case 'meta':
      return fixMetadata(op, ctx)
    case 'rename':
      await replica.move(op.from, op.path, op.replica)
      return replica.setMetadata(op.path, {mode: keptMode(op.mode, ctx), mtimeMs: op.mtimeMs})
    case 'delete':
      return replica.remove(op.path, op.replica)
    case 'rmdir':
      await replica.rmdir(op.path)
      ctx.dirTimes.removedDir(op.path)
      return
  }
}

function copyFile(op: CreateFileOperation | UpdateFileOperation, ctx: OperationContext): Promise<void> {
  const source = {backend: ctx.source, path: op.path, expected: {size: op.size, mtimeMs: op.mtimeMs}}
  const attributes = {size: op.size, md5: op.md5, mode: keptMode(op.mode, ctx), mtimeMs: op.mtimeMs}
  return ctx.replica.writeFile(op.path, source, attributes, op.op === 'update' ? op.replica : ABSENT)
}

async function fixMetadata(op: MetaOperation, ctx: OperationContext): Promise<void> {
  if (op.type === 'dir') {
    assertExpected(op.path, await ctx.replica.stat(op.path), {type: 'dir'})
    ctx.dirTimes.plan(op.path, {mode: op.mode, mtimeMs: op.mtimeMs})
    return
  }
  // The file must still be exactly as planned (size and the old mtime): otherwise its
  // content may have changed, and only copying it would make it right.
  await ctx.replica.setMetadata(op.path, {mode: keptMode(op.mode, ctx), mtimeMs: op.mtimeMs}, op.replica)
}

/** The mode to set, or none where the replica keeps no permission bits (FAT refuses chmod). */
function keptMode(mode: number, ctx: OperationContext): number | undefined {
  return ctx.replica.capabilities.modes ? mode : undefined
}
