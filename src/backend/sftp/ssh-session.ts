import {readFile} from 'node:fs/promises'

import {Client, type SFTPWrapper} from 'ssh2'

import {TreesyncError} from '../../errors.js'

/** Where an SFTP root lives: the host as the user named it, with the port and login if given. */
export interface SshTarget {
  host: string
  port?: number
  user?: string
}

/** How to authenticate and which host keys to trust (the command line's `--ssh-key` and `--known-hosts`). */
export interface SshOptions {
  /** A private key file to log in with (else the agent, else the default keys in ~/.ssh). */
  sshKey?: string
  /** A known_hosts file to check the server's key against (default: ~/.ssh/known_hosts). */
  knownHosts?: string
}

/** The SFTP extensions of OpenSSH that change what a backend can promise. */
export interface SftpExtensions {
  /** `posix-rename@openssh.com`: a rename that replaces its target atomically. */
  posixRename: boolean
  /** `fsync@openssh.com`: data on disk before the rename that publishes it. */
  fsync: boolean
  /** `hardlink@openssh.com`. */
  hardlink: boolean
}

/** One logged-in SSH connection with its SFTP channel open. */
export interface SshSession {
  /** `user@host:port`, for messages. */
  readonly label: string
  readonly client: Client
  readonly sftp: SFTPWrapper
  readonly extensions: SftpExtensions
  /** Settles when the connection ends, with the error that ended it, if any. */
  readonly ended: Promise<Error | undefined>
  /** Ends the connection; safe to call twice. */
  close(): Promise<void>
}

/**
 * Connects, checks the host key, logs in and opens the SFTP subsystem. Errors are one-line
 * TreesyncErrors naming the host. (First cut: `sshKey` only, and no host key check yet.)
 */
export async function openSshSession(target: SshTarget, options: SshOptions): Promise<SshSession> {
  const port = target.port ?? 22
  const user = target.user ?? process.env.USER ?? 'root'
  const label = `${user}@${target.host}:${port}`
  const client = new Client()
  const privateKey = options.sshKey ? await readFile(options.sshKey) : undefined
  const ready = new Promise<void>((resolve, reject) => {
    client.once('ready', resolve)
    client.once('error', (error) => reject(new TreesyncError('ROOT_UNREACHABLE', `cannot connect to ${label}: ${error.message}`, label)))
  })
  const ended = new Promise<Error | undefined>((resolve) => {
    let failure: Error | undefined
    client.on('error', (error) => (failure = error))
    client.once('close', () => resolve(failure))
  })
  client.connect({host: target.host, port, username: user, privateKey, readyTimeout: 20_000})
  await ready
  // Nagle's algorithm holds back SFTP's small requests: a 20 MiB upload took 40 times longer with it.
  client.setNoDelay(true)
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, s) => (error ? reject(error) : resolve(s))))
  const offered = (sftp as unknown as {_extensions: Record<string, string>})._extensions
  const extensions: SftpExtensions = {
    posixRename: 'posix-rename@openssh.com' in offered,
    fsync: 'fsync@openssh.com' in offered,
    hardlink: 'hardlink@openssh.com' in offered,
  }
  let closed = false
  return {
    label,
    client,
    sftp,
    extensions,
    ended,
    async close() {
      if (closed) return
      closed = true
      client.end()
      await ended
    },
  }
}
