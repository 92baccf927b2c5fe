import {posix} from 'node:path'

import {TreesyncError} from '../../errors.js'
import type {SshSession} from './ssh-session.js'
import {SftpCalls} from './sftp-calls.js'
import {isNoSuchFile} from './sftp-errors.js'
import {typeOfAttributes} from './sftp-entry.js'

/** Where a remote root is, as found on the server. */
export interface RemoteRoot {
  /**
   * The root's absolute path: the server's realpath of it when it exists (symlinks above
   * and at the root resolved once, here, as a local root's are), else that of its nearest
   * existing parent with the missing names appended.
   */
  path: string
  /** Something is at the path. */
  exists: boolean
  /** What is there is a directory (after following a symlink at the root itself). */
  isDirectory: boolean
}

/**
 * Resolves a root as rsync and scp name it: relative to the login's home directory
 * unless it starts with `/` (`''` or `.` is the home itself). The server resolves it
 * (`realpath`, which OpenSSH answers only for paths that exist), so a replica yet to be
 * created is resolved through its nearest existing parent.
 */
export async function resolveRemoteRoot(session: SshSession, path: string): Promise<RemoteRoot> {
  const calls = SftpCalls.forSession(session)
  const home = path.startsWith('/') ? '/' : await calls.realpath('.')
  const wanted = posix.resolve(home, path === '' ? '.' : path)
  const missing: string[] = []
  for (let dir = wanted; ; dir = posix.dirname(dir)) {
    try {
      const real = await calls.realpath(dir)
      const resolved = posix.join(real, ...missing.reverse())
      if (missing.length > 0) return {path: resolved, exists: false, isDirectory: false}
      // realpath has followed any symlink at the root: stat what it names.
      const attrs = await calls.lstat(real)
      return {path: real, exists: attrs !== undefined, isDirectory: attrs !== undefined && typeOfAttributes(attrs) === 'dir'}
    } catch (error) {
      if (!isNoSuchFile(error) || dir === '/') {
        throw new TreesyncError('BAD_ROOT', `cannot resolve ${path} on ${session.label}: ${(error as Error).message}`, path)
      }
      missing.push(posix.basename(dir))
    }
  }
}
