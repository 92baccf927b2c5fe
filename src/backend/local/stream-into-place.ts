import {createHash} from 'node:crypto'
import {open, rename, unlink} from 'node:fs/promises'

import {isTreesyncError, TreesyncError} from '../../errors.js'
import {tempPathBeside} from '../../tree/temp-name.js'
import {ABSENT, type BackendEntry, type ExpectedState, type SourceFile, type WriteAttributes} from '../backend.js'
import {assertExpected, sourceDrift} from '../preconditions.js'
import type {Backup} from './backup.js'
import type {FileIo} from './file-io.js'
import type {RootedTree} from './rooted-tree.js'

/** What a streamed write needs of the local backend it lands in. */
export interface StreamTarget {
  tree: RootedTree
  io: FileIo
  backup?: Backup
  /** See `CopyContext.mtimeAfterRename`. */
  mtimeAfterRename?: boolean
}

/**
 * Writes a file read from another kind of backend (no kernel copy between them): its
 * stream goes to an exclusively created temporary beside `path`, hashed on the way, and
 * the temporary replaces `path` as in `copyIntoPlace`: only complete, checked against the
 * planned size and MD5, with its attributes set, and only if the source kept its change
 * token while it was read and `path` still holds `expected`.
 */
export async function streamIntoPlace(path: string, from: SourceFile, wanted: WriteAttributes, expected: ExpectedState, target: StreamTarget): Promise<void> {
  const before = await from.backend.stat(from.path)
  const drift = sourceDrift(before, from.expected)
  if (drift) throw new TreesyncError('PLAN_STALE', `source file changed since the plan was made: ${drift}`, path)

  const {tree, io} = target
  await tree.assertContained(path)
  const dest = tree.abs(path)
  const temp = tempPathBeside(dest)
  const handle = await open(temp, 'wx', 0o600)
  try {
    const hash = createHash('md5')
    let size = 0
    try {
      for await (const chunk of await from.backend.openRead(from.path)) {
        const bytes = chunk as Buffer
        hash.update(bytes)
        size += bytes.length
        await handle.write(bytes)
      }
    } finally {
      await handle.close()
    }
    if (!unchanged(before!, await from.backend.stat(from.path))) {
      throw new TreesyncError('PLAN_STALE', 'source file changed while it was being copied', path)
    }
    const md5 = hash.digest('hex')
    if (size !== wanted.size || (wanted.md5 !== undefined && md5 !== wanted.md5)) {
      const found = size === wanted.size ? `MD5 ${md5}, planned ${wanted.md5}` : `${size} bytes copied, ${wanted.size} planned`
      throw new TreesyncError('PLAN_STALE', `source file content changed since the plan was made (${found})`, path)
    }
    if (wanted.mode !== undefined) await io.chmod(temp, wanted.mode)
    await io.setMtime(temp, wanted.mtimeMs)
    assertExpected(path, await tree.entry(path), expected)
    if (expected !== ABSENT) await target.backup?.keepCopy(dest, path)
    await tree.assertContained(path)
    await rename(temp, dest)
    if (target.mtimeAfterRename) await io.setMtime(dest, wanted.mtimeMs)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    if (!isTreesyncError(error)) await tree.assertContained(path)
    throw error
  }
}

function unchanged(before: BackendEntry, after: BackendEntry | undefined): boolean {
  return after !== undefined && after.changeToken === before.changeToken && after.mtimeNs === before.mtimeNs && after.size === before.size
}
