import type {Stats} from 'ssh2'

import {TreesyncError} from '../../errors.js'
import type {RemoteTree} from './remote-tree.js'
import type {SftpCalls, SftpHandle} from './sftp-calls.js'
import {SFTP_STATUS, SftpStatusError} from './sftp-errors.js'
import {typeOfAttributes} from './sftp-entry.js'

/**
 * lstat of a path that must be a regular file inside the root (never a final symlink):
 * its attributes, or a NO_SUCH_FILE error (worded as a local one) or BAD_INPUT otherwise.
 */
export async function regularFileAttributes(tree: RemoteTree, path: string): Promise<Stats> {
  await tree.assertContained(path)
  const attrs = await tree.lstat(path)
  const remote = tree.abs(path)
  if (!attrs) throw new SftpStatusError(SFTP_STATUS.NO_SUCH_FILE, `no such file or directory: ${remote}`, remote, 'ENOENT')
  const type = typeOfAttributes(attrs)
  if (type !== 'file') throw new TreesyncError('BAD_INPUT', `${path} is a ${type}, not a regular file`, path)
  return attrs
}

/**
 * Opens a regular file for reading, never through a final symlink as far as SFTP allows:
 * OPEN has no O_NOFOLLOW, so the file is lstat'ed first and the opened handle fstat'ed
 * after, and the two must agree (type, size, mtime, mode, owner). A symlink swapped in
 * between is then caught unless it points at a file alike in all of those; SFTP v3 has
 * no inode to compare.
 */
export async function openRegularFile(tree: RemoteTree, calls: SftpCalls, path: string, attrs: Stats): Promise<SftpHandle> {
  const remote = tree.abs(path)
  const handle = await calls.open(remote, 'r')
  try {
    const opened = await calls.fstat(handle, remote)
    const same =
      typeOfAttributes(opened) === 'file' && opened.size === attrs.size && opened.mtime === attrs.mtime && opened.mode === attrs.mode && opened.uid === attrs.uid && opened.gid === attrs.gid
    if (!same) throw new TreesyncError('PLAN_STALE', 'file changed or was replaced while it was opened', path)
    return handle
  } catch (error) {
    await calls.close(handle, remote).catch(() => undefined)
    throw error
  }
}
