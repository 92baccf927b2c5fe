import {TreesyncError} from '../../errors.js'
import {joinPath, parentPath} from '../../tree/paths.js'
import {makeTempName} from '../../tree/temp-name.js'
import {ABSENT, type BackendEntry, type ExpectedState, type SourceFile, type WriteAttributes} from '../backend.js'
import {assertExpected, sourceDrift} from '../preconditions.js'
import {pipelinedWrite} from './pipelined-write.js'
import type {RemoteTree} from './remote-tree.js'
import type {SftpCalls} from './sftp-calls.js'

/** What an upload needs of the SFTP backend it lands in. */
export interface UploadTarget {
  tree: RemoteTree
  calls: SftpCalls
  /** `posix-rename@openssh.com` is offered: the temporary replaces the file atomically. */
  posixRename: boolean
  /** `fsync@openssh.com` is offered: the data is on the server's disk before it is published. */
  fsync: boolean
}

/**
 * Writes a file from any backend to the server: the bytes go to an exclusively created
 * temporary beside `path` (a `makeTempName` name, so scans skip it and the next apply
 * sweeps it), pipelined and hashed on the way; then, only if the source kept its size,
 * mtime and change token while it was read and the bytes are the planned ones, the
 * temporary gets its mode and mtime, is fsync'ed and closed (a close error fails the
 * upload), `path` is checked to hold `expected`, and the temporary is renamed over it. On any failure the temporary is removed (best
 * effort: on a lost connection it stays, for the sweep).
 */
export async function uploadIntoPlace(path: string, from: SourceFile, wanted: WriteAttributes, expected: ExpectedState, target: UploadTarget): Promise<void> {
  const {tree, calls} = target
  // The source's stat and the containment check are independent requests: sent together.
  const [stated, contained] = await Promise.allSettled([from.backend.stat(from.path), tree.assertContained(path)])
  if (stated.status === 'rejected') throw stated.reason
  const before = stated.value
  const drift = sourceDrift(before, from.expected)
  if (drift) throw new TreesyncError('PLAN_STALE', `source file changed since the plan was made: ${drift}`, path)
  if (contained.status === 'rejected') throw contained.reason
  const tempPath = joinPath(parentPath(path), makeTempName())
  const temp = tree.abs(tempPath)
  const handle = await calls.open(temp, 'wx', 0o600)
  try {
    let written
    try {
      written = await pipelinedWrite(calls, handle, temp, await from.backend.openRead(from.path))
      // Mode and mtime by handle: no path lookup, so no symlink swapped in can redirect them.
      // SFTP v3 sets atime and mtime together; both get the planned mtime (whole seconds).
      const seconds = Math.floor(wanted.mtimeMs / 1000)
      // Sent together: neither depends on the other's outcome (both must succeed).
      await Promise.all([
        calls.fsetstat(handle, temp, {...(wanted.mode === undefined ? {} : {mode: wanted.mode}), atime: seconds, mtime: seconds}),
        target.fsync ? calls.fsync(handle, temp) : undefined,
      ])
    } catch (error) {
      // Already failing: the close only frees the handle, its own error adds nothing.
      await calls.close(handle, temp).catch(() => undefined)
      throw error
    }
    // A failed close is a failed write: close(2) reports write errors held back until then
    // (NFS, quotas), and without fsync@openssh.com it is the only report there is. The
    // temporary is not published; it is removed below.
    await calls.close(handle, temp)
    if (!unchanged(before!, await from.backend.stat(from.path))) {
      throw new TreesyncError('PLAN_STALE', 'source file changed while it was being copied', path)
    }
    if (written.size !== wanted.size || (wanted.md5 !== undefined && written.md5 !== wanted.md5)) {
      const found = written.size === wanted.size ? `MD5 ${written.md5}, planned ${wanted.md5}` : `${written.size} bytes copied, ${wanted.size} planned`
      throw new TreesyncError('PLAN_STALE', `source file content changed since the plan was made (${found})`, path)
    }
    await renameIntoPlace(path, tempPath, expected, target)
  } catch (error) {
    await calls.unlink(temp).catch(() => undefined)
    throw error
  }
}

/**
 * Renames a finished temporary (a file or a symlink) over `path` once `path` holds
 * `expected`. With `posix-rename@openssh.com` the replace is atomic. Without it, a replace
 * must remove the old entry first, so for one round trip nothing is under the name, and a
 * failure in between loses the old entry (the capabilities then say `atomicReplace: false`).
 *
 * Creating (`ABSENT`) uses SFTP v3's RENAME, which OpenSSH makes refuse an existing target
 * only for a regular file, by link(2) then unlink(2). For a symlink or a directory (and for
 * a regular file on a filesystem without hard links) it does stat(target), then rename(2):
 * a target whose stat fails, such as a dangling symlink, is replaced. What the rename relies
 * on is therefore the lstat just before it (`assertExpected`, which sees a dangling symlink
 * as an entry): only an entry created on the server in the round trip between that check
 * and the rename could be replaced, and for a file only on such a filesystem, or if it is a
 * dangling symlink. That window is the one every check-then-act change has.
 */
export async function renameIntoPlace(path: string, tempPath: string, expected: ExpectedState, target: UploadTarget): Promise<void> {
  const {tree, calls} = target
  assertExpected(path, await tree.containedEntry(path), expected)
  const temp = tree.abs(tempPath)
  const dest = tree.abs(path)
  if (expected === ABSENT) {
    // Checked absent just above; OpenSSH's RENAME refuses most targets that appeared since
    // (not a dangling symlink: see above).
    await calls.rename(temp, dest).catch(async (error: unknown) => {
      if (await tree.lstat(path).catch(() => undefined)) throw new TreesyncError('PLAN_STALE', 'replica entry appeared since the plan was made', path)
      throw error
    })
  } else if (target.posixRename) {
    await calls.posixRename(temp, dest)
  } else {
    await calls.unlink(dest)
    await calls.rename(temp, dest)
  }
}

function unchanged(before: BackendEntry, after: BackendEntry | undefined): boolean {
  return after !== undefined && after.changeToken === before.changeToken && after.mtimeNs === before.mtimeNs && after.size === before.size
}
