import {stat} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {Client, type ConnectConfig, type SFTPWrapper} from 'ssh2'

import {TreesyncError} from '../../errors.js'
import {hostKeyCheck} from './host-key-check.js'
import {hostKeyAlgorithmsFor, hostKeyFingerprint, knownHostsName, loadKnownHosts, type KnownHostKey} from './known-hosts.js'
import {authHandlerFor, describeAuthFailure, planAuthentication, tildePath} from './ssh-auth.js'
import {lookUpSshHost, type SshHostSettings} from './ssh-config-lookup.js'
import {describeConnectionFailure, firstLine, type SshClientError} from './ssh-failures.js'

/** Where an SFTP root lives: the host as the user named it, with the port and login if given. */
export interface SshTarget {
  host: string
  port?: number
  user?: string
}

/** How to authenticate and which host keys to trust (the command line's `--ssh-key` and `--known-hosts`). */
export interface SshOptions {
  /** A private key file to log in with, tried first (then the agent, ~/.ssh/config's IdentityFile, the default keys). */
  sshKey?: string
  /** A known_hosts file to check the server's key against (default: ~/.ssh/known_hosts). */
  knownHosts?: string
  /** The home whose .ssh holds config, keys and known_hosts (default: the user's; tests use a scratch one). */
  home?: string
  /** The agent's socket; false for no agent (default: SSH_AUTH_SOCK). */
  agent?: string | false
  /** How long connecting, the SSH handshake and the login may take, in ms (default 15 000). */
  timeoutMs?: number
  /** How often an idle connection is probed with a keepalive, in ms (default 15 000; tests use less). */
  keepaliveIntervalMs?: number
  /** Keepalives left unanswered before the connection is given up as lost (default 3). */
  keepaliveCountMax?: number
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
  /** `user@host:port`, for messages (the host as named, perhaps a ~/.ssh/config alias). */
  readonly label: string
  /**
   * The server actually connected to, `hostName:port` after ~/.ssh/config (HostName and Port
   * applied, the name lowercased, an IPv6 address in brackets): `nas` and `me@nas` give the
   * same; `nas` and its IP address do not (see `hostKeyFingerprint`).
   */
  readonly server: string
  /** The `SHA256:…` fingerprint of the host key the server presented and known_hosts trusted. */
  readonly hostKeyFingerprint: string
  readonly client: Client
  readonly sftp: SFTPWrapper
  readonly extensions: SftpExtensions
  /** Settles when the connection ends, with the error that ended it, if any. */
  readonly ended: Promise<Error | undefined>
  /** Ends the connection; safe to call twice. */
  close(): Promise<void>
}

/** Long enough for a slow NAS over a VPN, short enough that a dead host is not a hang. */
export const DEFAULT_SSH_TIMEOUT_MS = 15_000

/**
 * Keepalives (OpenSSH's ServerAliveInterval and ServerAliveCountMax): a server that vanishes
 * (a NAS off the network, a laptop asleep) is given up after about a minute, failing what
 * is pending with "connection lost", instead of when TCP gives up (about 15 minutes).
 */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000
export const DEFAULT_KEEPALIVE_COUNT_MAX = 3

/** How long `close()` waits for the server to acknowledge the end before cutting the connection. */
const CLOSE_GRACE_MS = 2_000

/**
 * Connects like OpenSSH would: ~/.ssh/config for the host, the host key checked against
 * known_hosts (never trusted silently), the keys tried in order, then the SFTP subsystem.
 * Every failure is a one-line ROOT_UNREACHABLE TreesyncError naming the host.
 */
export async function openSshSession(target: SshTarget, options: SshOptions): Promise<SshSession> {
  const home = options.home ?? homedir()
  const settings = await lookUpSshHost(target, home)
  const label = `${settings.user}@${settings.alias}:${settings.port}`
  const timeoutMs = options.timeoutMs ?? DEFAULT_SSH_TIMEOUT_MS
  const fail = (message: string): TreesyncError => new TreesyncError('ROOT_UNREACHABLE', message, label)

  const knownHostsFiles = await knownHostsFilesFor(options, settings, home, label)
  let knownKeys: KnownHostKey[]
  try {
    knownKeys = await loadKnownHosts(knownHostsFiles)
  } catch (error) {
    throw fail(`cannot read the known_hosts file for ${label}: ${firstLine((error as Error).message)}`)
  }
  const check = hostKeyCheck(knownKeys, {
    hostName: settings.hostName,
    port: settings.port,
    alias: settings.alias,
    knownHostsFiles,
    knownHostsShown: knownHostsFiles.map((file) => tildePath(file, home)),
  })

  const agent = options.agent === false ? undefined : (options.agent ?? process.env.SSH_AUTH_SOCK) || undefined
  const plan = await planAuthentication({sshKey: options.sshKey, agentSocket: agent, identityFiles: settings.identityFiles, identitiesOnly: settings.identitiesOnly, home, label})
  const progress: {tried: string[]; serverMethods?: string[]} = {tried: []}
  let agentNote: string | undefined

  const client = new Client()
  const ended = new Promise<Error | undefined>((resolve) => {
    let failure: Error | undefined
    client.on('error', (error) => (failure ??= error))
    client.once('close', () => resolve(failure))
  })
  const ready = new Promise<void>((resolve, reject) => {
    let fatal: SshClientError | undefined
    let isReady = false
    client.on('error', (error: SshClientError) => {
      if (isReady) return
      // An agent that cannot be reached, or a key that cannot sign, only rules out that credential: ssh2 goes on to the next.
      if (error.level === 'agent') return void (agentNote = `the ssh agent failed (${firstLine(error.message)})`)
      if (error.level === 'client-authentication' && !/All configured authentication methods failed/.test(error.message)) return
      fatal ??= error
      client.destroy()
    })
    client.once('ready', () => {
      isReady = true
      resolve()
    })
    client.once('close', () => reject(fail(describeFailure(fatal))))
  })
  const describeFailure = (error: SshClientError | undefined): string => {
    if (check.refusal !== undefined) return check.refusal
    if (error?.level === 'client-authentication') return describeAuthFailure(label, plan, progress, agentNote)
    // A server that gives up after MaxAuthTries keys disconnects instead of answering "failure".
    if (error && typeof error.code === 'number' && progress.tried.length > 0) return describeAuthFailure(label, plan, progress, `${agentNote ? `${agentNote}; ` : ''}the server disconnected: ${firstLine(error.message)}`)
    return describeConnectionFailure(error, {label, alias: settings.alias, hostName: settings.hostName, timeoutMs})
  }

  let presentedFingerprint: string | undefined
  const serverHostKey = hostKeyAlgorithmsFor(knownKeys, knownHostsName(settings.hostName.toLowerCase(), settings.port))
  client.connect({
    host: settings.hostName,
    port: settings.port,
    username: settings.user,
    authHandler: authHandlerFor(plan, settings.user, progress),
    hostVerifier: (key: Buffer) => {
      const accepted = check.accepts(key)
      if (accepted) presentedFingerprint = hostKeyFingerprint(key)
      return accepted
    },
    readyTimeout: timeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: options.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
    ...(serverHostKey ? {algorithms: {serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey']}} : {}),
  })
  await ready
  // Nagle's algorithm holds back SFTP's small requests: a 20 MiB upload took 40 times longer with it.
  client.setNoDelay(true)
  let sftp: SFTPWrapper
  let sftpTimer: NodeJS.Timeout | undefined
  try {
    sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
      // readyTimeout ends at login; a server that never answers the subsystem request must not hang us either.
      sftpTimer = setTimeout(() => reject(new Error(`no answer to the SFTP subsystem request within ${timeoutMs / 1000} s`)), timeoutMs)
      client.sftp((error, s) => (error ? reject(error) : resolve(s)))
    })
  } catch (error) {
    client.destroy()
    throw fail(`cannot start SFTP on ${label}: ${firstLine((error as Error).message)}`)
  } finally {
    clearTimeout(sftpTimer)
  }
  const offered = (sftp as unknown as {_extensions: Record<string, string>})._extensions
  const extensions: SftpExtensions = {
    posixRename: 'posix-rename@openssh.com' in offered,
    fsync: 'fsync@openssh.com' in offered,
    hardlink: 'hardlink@openssh.com' in offered,
  }
  // The SFTP channel can close while the connection stays (an external sftp-server that
  // crashed or was killed): end the connection too, so `ended` settles and a pool reconnects
  // instead of handing out a session whose every request fails.
  sftp.once('close', () => client.end())
  const hostName = settings.hostName.toLowerCase()
  let closing: Promise<void> | undefined
  return {
    label,
    server: `${hostName.includes(':') ? `[${hostName}]` : hostName}:${settings.port}`,
    // Set by the verifier before 'ready': ssh2 verifies the host key during the handshake.
    hostKeyFingerprint: presentedFingerprint!,
    client,
    sftp,
    extensions,
    ended,
    close() {
      return (closing ??= closeClient(client, ended))
    },
  }
}

/**
 * Ends the connection politely, and cuts it if the server does not answer within
 * `CLOSE_GRACE_MS` (a server that vanished never acknowledges the end, which would hold
 * the process at exit).
 */
async function closeClient(client: Client, ended: Promise<Error | undefined>): Promise<void> {
  client.end()
  let timer: NodeJS.Timeout | undefined
  const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CLOSE_GRACE_MS)))
  try {
    if (!(await Promise.race([ended.then(() => false), graceOver]))) return
  } finally {
    clearTimeout(timer)
  }
  // ssh2's destroy() does nothing once end() has half-closed the socket: destroy the socket itself.
  ;(client as unknown as {_sock?: {destroy(): void}})._sock?.destroy()
  client.destroy()
  await ended
}

/** `--known-hosts` alone if given (it must exist), else the config's UserKnownHostsFile, else OpenSSH's defaults. */
async function knownHostsFilesFor(options: SshOptions, settings: SshHostSettings, home: string, label: string): Promise<string[]> {
  if (options.knownHosts !== undefined) {
    const file = options.knownHosts
    const found = await stat(file).catch((error: NodeJS.ErrnoException) => error)
    if (found instanceof Error || !found.isFile()) {
      const why = found instanceof Error ? (found.code === 'ENOENT' ? 'no such file' : firstLine(found.message)) : 'not a file'
      throw new TreesyncError('ROOT_UNREACHABLE', `--known-hosts ${file}: ${why} (for ${label})`, label)
    }
    return [file]
  }
  if (settings.userKnownHostsFiles.length > 0) return [...settings.userKnownHostsFiles]
  return [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]
}
