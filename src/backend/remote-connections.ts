import {parseRootSpec} from './root-spec.js'
import {S3Connections, type S3Options} from './s3/s3-connections.js'
import {SshConnections} from './sftp/ssh-connections.js'
import type {SshOptions} from './sftp/ssh-session.js'

/** Where a remote root is, whatever its spelling: the server (by its host key) and the absolute path there. */
export interface RemoteRootIdentity {
  server: string
  path: string
}

/** How remote roots are reached: the command line's `--ssh-key`, `--known-hosts` and `--s3-endpoint`. */
export interface RemoteOptions {
  ssh?: SshOptions
  /** The S3 endpoint, and the cache directory where S3 metadata is kept between runs. */
  s3?: S3Options
}

/**
 * The network connections of one run, by kind of remote root: opened when a root first
 * needs one, shared by planning and apply, kept across watch cycles, closed at the end of
 * the run. Local roots need none, and cost nothing: the SSH library and the AWS SDK are
 * loaded only when a first connection of their kind is opened.
 */
export class RemoteConnections {
  readonly ssh: SshConnections
  readonly s3: S3Connections

  constructor(options: RemoteOptions = {}) {
    this.ssh = new SshConnections(options.ssh)
    this.s3 = new S3Connections(options.s3)
  }

  /**
   * The identity of a resolved remote root (its canonical URL): `nas:/data`, `me@nas:/data`
   * and `sftp://192.168.1.5/data` are one folder when they reach one server, which its host
   * key tells whatever name, user or address led there. An S3 root is its endpoint and
   * bucket, and its prefix as a path.
   */
  async identityOf(root: string): Promise<RemoteRootIdentity | undefined> {
    const spec = parseRootSpec(root)
    if (spec.kind === 's3') return {server: `s3 ${this.s3.endpointIdentity} ${spec.bucket}`, path: `/${spec.prefix}`}
    if (spec.kind !== 'sftp') return undefined
    const session = await this.ssh.session(spec)
    return {server: `ssh ${session.hostKeyFingerprint}`, path: spec.path}
  }

  /** Ends every connection (the run is over, or a library call that opened its own is done). */
  async close(): Promise<void> {
    await Promise.all([this.ssh.closeAll(), this.s3.close()])
  }
}
