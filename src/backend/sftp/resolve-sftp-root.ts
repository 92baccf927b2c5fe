import type {SFTPWrapper, Stats} from 'ssh2'

import {TreesyncError} from '../../errors.js'
import {formatRootSpec, type SftpRootSpec} from '../root-spec.js'
import type {SshSession} from './ssh-session.js'

/** SFTP's status for a path that does not exist. */
const NO_SUCH_FILE = 2

/** An SFTP root as resolved on its server: its canonical URL (absolute path, symlinks resolved) and whether it exists. */
export interface ResolvedSftpRoot {
  text: string
  /** The absolute path on the server. */
  path: string
  exists: boolean
}

/**
 * Resolves an SFTP root on its server as a local one is resolved: a relative path is
 * relative to the login's home (rsync's `host:path`), symlinks are resolved, the source
 * must be an existing directory, the replica a directory or missing with its parent
 * present (unless `mkpath`). Errors name the root by its URL.
 */
export async function resolveSftpRoot(
  spec: SftpRootSpec,
  role: 'source' | 'replica',
  session: SshSession,
  options: {mkpath?: boolean} = {},
): Promise<ResolvedSftpRoot> {
  const {sftp} = session
  const home = spec.path.startsWith('/') ? '' : await realpath(sftp, '.')
  const absolute = spec.path.startsWith('/') ? spec.path : `${home.replace(/\/$/, '')}/${spec.path}`.replace(/\/$/, '') || '/'
  const shown = formatRootSpec({...spec, path: absolute})
  const found = await statOrMissing(sftp, absolute)
  if (found) {
    if (!found.isDirectory()) {
      throw new TreesyncError(role === 'source' ? 'SOURCE_NOT_DIR' : 'REPLICA_NOT_DIR', `${role} is not a directory: ${shown}`, shown)
    }
    const real = await realpath(sftp, absolute)
    return {text: formatRootSpec({...spec, path: real}), path: real, exists: true}
  }
  if (role === 'source') throw new TreesyncError('SOURCE_MISSING', `source directory does not exist: ${shown}`, shown)
  const parent = absolute.slice(0, absolute.lastIndexOf('/')) || '/'
  const parentFound = await statOrMissing(sftp, parent)
  if (parentFound && !parentFound.isDirectory()) {
    throw new TreesyncError('REPLICA_NOT_DIR', `a parent of the replica is not a directory: ${shown}`, shown)
  }
  if (!parentFound && !options.mkpath) {
    throw new TreesyncError('REPLICA_NOT_DIR', `the replica's parent folder ${parent} does not exist on ${session.label} (check the path, or pass --mkpath to create it)`, shown)
  }
  const realParent = parentFound ? await realpath(sftp, parent) : parent
  const real = `${realParent.replace(/\/$/, '')}/${absolute.slice(absolute.lastIndexOf('/') + 1)}`
  return {text: formatRootSpec({...spec, path: real}), path: real, exists: false}
}

/** Creates a directory and its missing parents on the server (apply into a missing replica). */
export async function ensureSftpDirectory(session: SshSession, path: string): Promise<void> {
  const found = await statOrMissing(session.sftp, path)
  if (found?.isDirectory()) return
  if (found) throw new TreesyncError('REPLICA_NOT_DIR', `not a directory on ${session.label}: ${path}`, path)
  const parent = path.slice(0, path.lastIndexOf('/')) || '/'
  if (parent !== path) await ensureSftpDirectory(session, parent)
  await new Promise<void>((resolve, reject) => session.sftp.mkdir(path, (error) => (error ? reject(remoteError(error, session, path)) : resolve())))
}

async function realpath(sftp: SFTPWrapper, path: string): Promise<string> {
  return await new Promise((resolve, reject) => sftp.realpath(path, (error, real) => (error ? reject(error) : resolve(real))))
}

async function statOrMissing(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  return await new Promise((resolve, reject) =>
    sftp.stat(path, (error, stats) => {
      if (!error) resolve(stats)
      else if ((error as {code?: unknown}).code === NO_SUCH_FILE) resolve(undefined)
      else reject(error)
    }),
  )
}

function remoteError(error: Error, session: SshSession, path: string): TreesyncError {
  return new TreesyncError('REPLICA_NOT_DIR', `cannot create ${path} on ${session.label}: ${error.message}`, path)
}
