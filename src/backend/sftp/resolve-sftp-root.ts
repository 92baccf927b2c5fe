import {posix} from 'node:path'

import {TreesyncError} from '../../errors.js'
import {formatRootSpec, type SftpRootSpec} from '../root-spec.js'
import {resolveRemoteRoot} from './resolve-remote-root.js'
import {SftpCalls} from './sftp-calls.js'
import {typeOfAttributes} from './sftp-entry.js'
import type {SshSession} from './ssh-session.js'

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
