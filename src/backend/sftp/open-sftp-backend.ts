import type {Backend} from '../backend.js'
import type {RemoteConnections} from '../remote-connections.js'
import type {SftpRootSpec} from '../root-spec.js'

/**
 * A resolved SFTP root (its canonical URL, `text`) as a backend, through the run's
 * connection to its server; the replica's folders are created first when `create` is set.
 */
export async function openSftpBackend(spec: SftpRootSpec, text: string, remotes: RemoteConnections, create: boolean): Promise<Backend> {
  void spec
  void remotes
  void create
  throw new Error(`SFTP backend not merged yet: ${text}`)
}
