import {posix} from 'node:path'

import {TreesyncError} from '../../errors.js'
import {formatRootSpec, type SftpRootSpec} from '../root-spec.js'
import {SftpCalls} from './sftp-calls.js'
import {isNoSuchFile} from './sftp-errors.js'
import {typeOfAttributes} from './sftp-entry.js'
import type {SshSession} from './ssh-session.js'

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

/** An SFTP root as resolved on its server: its canonical URL (absolute path, symlinks resolved) and whether it exists. */
export interface ResolvedSftpRoot {
  text: string
  exists: boolean
}

/**
 * Checks an SFTP root as a local one is checked: the source must be an existing
 * directory, the replica a directory or missing with its parent present (unless
 * `mkpath`). Returns the root's canonical URL, with the path the server resolved (a
 * relative path is relative to the login's home, rsync's `host:path`), which plan files
 * record. Errors name the root by its URL.
 */
export async function resolveSftpRoot(
  spec: SftpRootSpec,
  role: 'source' | 'replica',
  session: SshSession,
  options: {mkpath?: boolean} = {},
): Promise<ResolvedSftpRoot> {
  const found = await resolveRemoteRoot(session, spec.path)
  const text = formatRootSpec({...spec, path: found.path})
  if (found.exists && found.isDirectory) return {text, exists: true}
  if (found.exists) {
    throw new TreesyncError(role === 'source' ? 'SOURCE_NOT_DIR' : 'REPLICA_NOT_DIR', `${role} is not a directory: ${text}`, text)
  }
  if (role === 'source') throw new TreesyncError('SOURCE_MISSING', `source directory does not exist: ${text}`, text)
  const parent = posix.dirname(found.path)
  const attributes = await SftpCalls.forSession(session).lstat(parent)
  if (attributes && typeOfAttributes(attributes) !== 'dir') {
    throw new TreesyncError('REPLICA_NOT_DIR', `a parent of the replica is not a directory: ${text}`, text)
  }
  if (!attributes && !options.mkpath) {
    throw new TreesyncError(
      'REPLICA_NOT_DIR',
      `the replica's parent folder ${parent} does not exist on ${session.label} (check the path, or pass --mkpath to create it)`,
      text,
    )
  }
  return {text, exists: false}
}

/** Creates a folder and its missing parents on the server (apply into a missing replica). */
export async function ensureSftpDirectory(session: SshSession, path: string): Promise<void> {
  const calls = SftpCalls.forSession(session)
  const attributes = await calls.lstat(path)
  if (attributes && typeOfAttributes(attributes) === 'dir') return
  if (attributes) throw new TreesyncError('REPLICA_NOT_DIR', `not a directory on ${session.label}: ${path}`, path)
  const parent = posix.dirname(path)
  if (parent !== path) await ensureSftpDirectory(session, parent)
  await calls.mkdir(path)
}
