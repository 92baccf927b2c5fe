import type {Backend} from '../backend.js'
import type {RemoteConnections} from '../remote-connections.js'
import type {SftpRootSpec} from '../root-spec.js'
import {ensureSftpDirectory, resolveRemoteRoot} from './resolve-sftp-root.js'
import {SftpBackend} from './sftp-backend.js'

/**
 * An SFTP root as resolved (`resolveRoots`) or as a plan names it (`text`, its canonical
 * URL with an absolute path) as a backend on the run's connection to its server; the
 * replica's folders are created first when `create` is set. The connection stays the
 * run's: closing the backend leaves it open.
 */
export async function openSftpBackend(spec: SftpRootSpec, text: string, remotes: RemoteConnections, create: boolean): Promise<Backend> {
  const session = await remotes.ssh.session(spec)
  // A plan names an absolute path; a library caller's `host:dir` is relative to the home.
  const path = spec.path.startsWith('/') ? spec.path : (await resolveRemoteRoot(session, spec.path)).path
  if (create) await ensureSftpDirectory(session, path)
  return new SftpBackend(session, path, text)
}
