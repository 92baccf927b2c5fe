import {parseRootSpec} from './root-spec.js'
import {SshConnections} from './sftp/ssh-connections.js'
import type {SshOptions} from './sftp/ssh-session.js'

/** Where a remote root is, whatever its spelling: the server (by its host key) and the absolute path there. */
export interface RemoteRootIdentity {
  server: string
  path: string
}

/** How remote roots are reached: the command line's `--ssh-key` and `--known-hosts`. */
export interface RemoteOptions {
  ssh?: SshOptions
}

/**
 * The network connections of one run, by kind of remote root: opened when a root first
 * needs one, shared by planning and apply, kept across watch cycles, closed at the end of
 * the run. Local roots need none, and cost nothing: the SSH library is loaded only when a
 * first connection is opened.
 */
export class RemoteConnections {
  readonly ssh: SshConnections

  constructor(options: RemoteOptions = {}) {
    this.ssh = new SshConnections(options.ssh)
  }

  /**
   * The identity of a resolved remote root (its canonical URL): `nas:/data`, `me@nas:/data`
   * and `sftp://192.168.1.5/data` are one folder when they reach one server, which its host
   * key tells whatever name, user or address led there.
   */
  async identityOf(root: string): Promise<RemoteRootIdentity | undefined> {
    const spec = parseRootSpec(root)
    if (spec.kind !== 'sftp') return undefined
    const session = await this.ssh.session(spec)
    return {server: `ssh ${session.hostKeyFingerprint}`, path: spec.path}
  }

  /** Ends every connection (the run is over, or a library call that opened its own is done). */
  async close(): Promise<void> {
    await this.ssh.closeAll()
  }
}
