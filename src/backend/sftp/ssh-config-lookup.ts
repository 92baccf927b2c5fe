import {readFile} from 'node:fs/promises'
import {hostname, userInfo} from 'node:os'
import {join} from 'node:path'

import {SSHConfig} from 'ssh-config'

import {TreesyncError} from '../../errors.js'

/**
 * What `~/.ssh/config` says about one host, merged with what the root named explicitly.
 * Precedence as in OpenSSH: `user@host:port` in the root beats the config, the config beats
 * the defaults (the local login, port 22).
 */
export interface SshHostSettings {
  /** The host as the user named it (perhaps a `Host` alias of the config). */
  readonly alias: string
  /** The host actually connected to: the config's HostName, else the alias. */
  readonly hostName: string
  readonly port: number
  readonly user: string
  /** The config's IdentityFile entries, `~` and `%` tokens expanded, in the config's order. */
  readonly identityFiles: readonly string[]
  /** The config's UserKnownHostsFile entries, expanded (empty when it sets none). */
  readonly userKnownHostsFiles: readonly string[]
  /** `IdentitiesOnly yes`: only the named keys, not every key the agent holds. */
  readonly identitiesOnly: boolean
}

/** The host, port and login the user typed in the root (`sftp://user@host:port/…`). */
export interface NamedHost {
  host: string
  port?: number
  user?: string
}

/**
 * Looks the host up in `<home>/.ssh/config` (a missing file is an empty config). An unreadable
 * or unparsable config, or a Port that is not a port, is a one-line ROOT_UNREACHABLE error.
 * `Match exec` is not run: a sync tool does not execute shell snippets from a config file, so
 * such blocks never match. `Include` is not followed (the parser does not).
 */
export async function lookUpSshHost(named: NamedHost, home: string): Promise<SshHostSettings> {
  const file = join(home, '.ssh', 'config')
  const computed = await computeConfig(file, named)
  const hostName = single(computed.hostname) ?? named.host
  const port = named.port ?? parsePort(single(computed.port), named.host)
  const user = named.user ?? single(computed.user) ?? localUserName()
  const tokens: SshPathTokens = {home, hostName, alias: named.host, port, user}
  return {
    alias: named.host,
    hostName: expandSshPath(hostName, tokens),
    port,
    user,
    identityFiles: list(computed.identityfile).filter((path) => path.toLowerCase() !== 'none').map((path) => expandSshPath(path, tokens)),
    userKnownHostsFiles: list(computed.userknownhostsfile).filter((path) => path.toLowerCase() !== 'none').map((path) => expandSshPath(path, tokens)),
    identitiesOnly: single(computed.identitiesonly)?.toLowerCase() === 'yes',
  }
}

async function computeConfig(file: string, named: NamedHost): Promise<Record<string, string | string[]>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return {}
    throw new TreesyncError('ROOT_UNREACHABLE', `cannot read ${file} (looking up host ${named.host}): ${code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : firstLine(error)}`, named.host)
  }
  try {
    // Lower-cased keys: OpenSSH's keywords are case-insensitive (`hostname` works as well as `HostName`).
    const query = named.user === undefined ? {Host: named.host} : {Host: named.host, User: named.user}
    return SSHConfig.parse(text).compute(query, {ignoreCase: true, matchExec: false})
  } catch (error) {
    throw new TreesyncError('ROOT_UNREACHABLE', `cannot parse ${file} (looking up host ${named.host}): ${firstLine(error)}`, named.host)
  }
}

function parsePort(value: string | undefined, host: string): number {
  if (value === undefined) return 22
  const port = Number(value)
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new TreesyncError('ROOT_UNREACHABLE', `~/.ssh/config gives host ${host} the port "${value}", which is not a port number`, host)
  return port
}

/** The values `%` tokens stand for in IdentityFile, UserKnownHostsFile and HostName. */
export interface SshPathTokens {
  home: string
  /** %h */
  hostName: string
  /** %n: the host as named on the command line. */
  alias: string
  /** %p */
  port: number
  /** %r: the remote login. */
  user: string
}

/**
 * Expands a leading `~/` to the home and OpenSSH's common tokens: %% %d %h %n %p %r %u %l %L.
 * Others are left as written (they would need ssh's own state, e.g. %C's hash of a connection).
 */
export function expandSshPath(value: string, tokens: SshPathTokens): string {
  const withHome = value === '~' ? tokens.home : value.startsWith('~/') ? join(tokens.home, value.slice(2)) : value
  return withHome.replace(/%(.)/g, (whole, letter: string) => {
    switch (letter) {
      case '%':
        return '%'
      case 'd':
        return tokens.home
      case 'h':
        return tokens.hostName
      case 'n':
        return tokens.alias
      case 'p':
        return String(tokens.port)
      case 'r':
        return tokens.user
      case 'u':
        return localUserName()
      case 'l':
        return hostname()
      case 'L':
        return hostname().split('.')[0]
      default:
        return whole
    }
  })
}

/** The local login name (OpenSSH's default remote user). */
export function localUserName(): string {
  try {
    return userInfo().username
  } catch {
    // userInfo() throws for a uid without a passwd entry (some containers).
    return process.env.USER ?? process.env.LOGNAME ?? 'root'
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]
}
