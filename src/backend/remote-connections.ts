import {SshConnections} from './sftp/ssh-connections.js'
import type {SshOptions} from './sftp/ssh-session.js'

/** How remote roots are reached: the command line's `--ssh-key` and `--known-hosts`. */
export interface RemoteOptions {
  ssh?: SshOptions
}

/**
 * The network connections of one run, by kind of remote root: opened when a root first
 * needs one, shared by planning and apply, kept across watch cycles, closed at the end of
 * the run. Local roots need none.
 */
export class RemoteConnections {
  readonly ssh: SshConnections

  constructor(options: RemoteOptions = {}) {
    this.ssh = new SshConnections(options.ssh)
  }

  /** Ends every connection (the run is over, or a library call that opened its own is done). */
  async close(): Promise<void> {
    await this.ssh.closeAll()
  }
}
