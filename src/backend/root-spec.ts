import {TreesyncError} from '../errors.js'
import {quotePath} from '../render/quote-path.js'
import {checkBucket, checkHost, checkUser, MalformedSpec, remotePath, wellFormed, type RemotePath} from './spec-parts.js'

/** A local folder, by the path as given (relative to the working directory unless absolute). */
export interface LocalRootSpec {
  kind: 'local'
  path: string
}

/** A folder on an SSH server, reached through SFTP. */
export interface SftpRootSpec {
  kind: 'sftp'
  user?: string
  /** A host name, an IPv4 address, or an IPv6 address without its brackets. */
  host: string
  port?: number
  /** Absolute (`/volume1/photos`), or relative to the login's home (`photos`; `''` for the home itself). */
  path: string
}

/** The objects under a prefix of an S3 bucket (any S3-compatible store). */
export interface S3RootSpec {
  kind: 's3'
  bucket: string
  /** `/`-separated, no leading or trailing `/`; `''` for the whole bucket. */
  prefix: string
}

/** What a SOURCE or REPLICA argument names: a discriminated union on `kind`. */
export type RootSpec = LocalRootSpec | SftpRootSpec | S3RootSpec

/** The kinds of root treesync can name. */
export type RootKind = RootSpec['kind']

/** `scheme://` at the start of an argument: a URL, never a local path or an rsync-style host. */
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//
const FORMS = 'a root is PATH, sftp://[USER@]HOST[:PORT]/PATH, [USER@]HOST:PATH or s3://BUCKET[/PREFIX]'
/** What a URL path or user name may hold unescaped (RFC 3986 pchar, and `/` in a path). */
const URL_PATH_UNSAFE = /[^A-Za-z0-9._~!$&'()*+,;=:@/-]/gu
const URL_USER_UNSAFE = /[^A-Za-z0-9._~!$&'()*+,;=-]/gu

/**
 * Parses a SOURCE or REPLICA argument (`role` names it in messages). A colon before the
 * first slash makes it remote, as in rsync: `HOST:PATH` (`./a:b` is the local folder
 * `a:b`). Throws BAD_ROOT, naming the argument, when the text is malformed.
 */
export function parseRootSpec(text: string, role = 'root'): RootSpec {
  try {
    return parseText(text)
  } catch (error) {
    if (!(error instanceof MalformedSpec)) throw error
    throw new TreesyncError('BAD_ROOT', `${role} ${quotePath(text) || '""'} is not a valid root: ${error.message}`, text)
  }
}

/**
 * The canonical text of a spec (for plan files and messages): a local path as it is (with
 * `./` in front when it would read as remote), a remote root as a URL. A path relative to
 * the SFTP login's home is written `sftp://HOST/~/PATH`. `parseRootSpec` reads it back
 * to an equal spec.
 */
export function formatRootSpec(spec: RootSpec): string {
  switch (spec.kind) {
    case 'local':
      return readsAsLocal(spec.path) ? spec.path : `./${spec.path}`
    case 'sftp': {
      const user = spec.user === undefined ? '' : `${encodeUrlText(spec.user, URL_USER_UNSAFE)}@`
      const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host
      const port = spec.port === undefined ? '' : `:${spec.port}`
      // A first segment named `~` is escaped: unescaped, `/~` means the home.
      const path = spec.path.startsWith('/')
        ? encodeUrlText(spec.path, URL_PATH_UNSAFE).replace(/^\/~(?=\/|$)/, '/%7E')
        : `/~${spec.path === '' ? '' : '/'}${encodeUrlText(spec.path, URL_PATH_UNSAFE)}`
      return `sftp://${user}${host}${port}${path}`
    }
    case 's3':
      return `s3://${spec.bucket}${spec.prefix === '' ? '' : `/${spec.prefix}`}`
  }
}

function parseText(text: string): RootSpec {
  if (text === '') throw new MalformedSpec('it is empty')
  if (text.includes('\0')) throw new MalformedSpec('it contains a NUL byte')
  const scheme = URL_SCHEME.exec(text)
  if (scheme) {
    const rest = text.slice(scheme[0].length)
    switch (scheme[1]!.toLowerCase()) {
      case 'sftp':
        return parseSftpUrl(rest)
      case 's3':
        return parseS3Url(rest)
      default:
        throw new MalformedSpec(`${scheme[1]}:// is not a kind of root treesync knows (${FORMS})`)
    }
  }
  const slash = text.indexOf('/')
  const head = slash === -1 ? text : text.slice(0, slash)
  return head.includes(':') ? parseHostPath(text, head) : {kind: 'local', path: text}
}

/** rsync/scp style `[USER@]HOST:PATH`, `[USER@][IPV6]:PATH`; `head` is the text before its first slash. */
function parseHostPath(text: string, head: string): SftpRootSpec {
  const firstColon = head.indexOf(':')
  const open = head.lastIndexOf('[', firstColon)
  let separator = firstColon
  if (open !== -1) {
    const close = head.indexOf(']', open)
    if (close === -1) throw new MalformedSpec(`an IPv6 address in [ ] has no closing ] (for a local path, write ./${text})`)
    if (head[close + 1] !== ':') throw new MalformedSpec(`a ":" must follow the IPv6 address ${head.slice(open, close + 1)}`)
    separator = close + 1
  }
  const authority = text.slice(0, separator)
  const path = text.slice(separator + 1)
  if (path.startsWith(':')) throw new MalformedSpec('rsync daemon roots (HOST::MODULE) are not supported')
  const at = authority.lastIndexOf('@')
  const user = at === -1 ? undefined : checkUser(authority.slice(0, at))
  const host = hostOf(authority.slice(at + 1), text)
  return {kind: 'sftp', ...(user === undefined ? {} : {user}), host, path: homeRelative(remotePath(path))}
}

/** `sftp://[USER@]HOST[:PORT]/PATH`, percent-escapes decoded as OpenSSH's sftp does; `/~/PATH` is relative to the home. */
function parseSftpUrl(rest: string): SftpRootSpec {
  const slash = rest.indexOf('/')
  if (slash === -1) throw new MalformedSpec('an sftp:// root needs a path after the host, as in sftp://HOST/ABS/PATH')
  const authority = rest.slice(0, slash)
  const at = authority.lastIndexOf('@')
  const userInfo = at === -1 ? undefined : authority.slice(0, at)
  if (userInfo?.includes(':')) throw new MalformedSpec('a password does not belong in a root: use a key or the ssh agent')
  const user = userInfo === undefined ? undefined : checkUser(decode(userInfo))
  const {host, port} = hostAndPort(authority.slice(at + 1))
  const rawPath = rest.slice(slash)
  const home = /^\/~(\/|$)/.exec(rawPath)
  const path = home ? remotePath(decode(rawPath.slice(home[0].length))) : remotePath(decode(rawPath))
  if (home && path.absolute) throw new MalformedSpec('a path relative to the home (/~/…) cannot be absolute')
  return {kind: 'sftp', ...(user === undefined ? {} : {user}), host, ...(port === undefined ? {} : {port}), path: home ? path.text : absolute(path)}
}

/** `s3://BUCKET[/PREFIX]`; the prefix is taken literally, as the aws CLI does. */
function parseS3Url(rest: string): S3RootSpec {
  const slash = rest.indexOf('/')
  const bucket = checkBucket(slash === -1 ? rest : rest.slice(0, slash))
  const segments = slash === -1 ? [] : rest.slice(slash + 1).split('/')
  if (!segments.every(wellFormed)) throw new MalformedSpec('the prefix is not valid Unicode text')
  if (segments.at(-1) === '') segments.pop()
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new MalformedSpec(`the prefix after the bucket has an empty, "." or ".." segment`)
    }
  }
  return {kind: 's3', bucket, prefix: segments.join('/')}
}

/** `HOST[:PORT]` or `[IPV6][:PORT]` of a URL. */
function hostAndPort(text: string): {host: string; port?: number} {
  let end = text.indexOf(':')
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close === -1) throw new MalformedSpec('an IPv6 address in [ ] has no closing ]')
    if (close + 1 < text.length && text[close + 1] !== ':') throw new MalformedSpec(`a ":" or "/" must follow the IPv6 address ${text.slice(0, close + 1)}`)
    end = close + 1 < text.length ? close + 1 : -1
  }
  const host = hostOf(end === -1 ? text : text.slice(0, end), '')
  return end === -1 ? {host} : {host, port: portNumber(text.slice(end + 1))}
}

function hostOf(text: string, whole: string): string {
  if (text.startsWith('[') && text.endsWith(']')) return checkHost(text.slice(1, -1), true)
  if (text.includes('[') || text.includes(']')) throw new MalformedSpec(`the host ${JSON.stringify(text)} is not a name or an address`)
  if (text === '') throw new MalformedSpec(`the host is missing${whole.startsWith(':') ? ` (for a local path, write ./${whole})` : ''}`)
  return checkHost(text, false)
}

function portNumber(text: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port >= 1 && port <= 65535)) throw new MalformedSpec(`the port ${JSON.stringify(text)} is not a number from 1 to 65535`)
  return port
}

/** In rsync style a relative path is relative to the home; `~` and `~/` say so explicitly. */
function homeRelative(path: RemotePath): string {
  if (path.absolute) return absolute(path)
  if (path.text === '~' || path.text.startsWith('~/')) return path.text.slice(2)
  if (path.text.startsWith('~')) throw new MalformedSpec('~USER paths are not supported: write the absolute path')
  return path.text
}

/** True when the text, parsed, names a local folder (so it needs no `./` in front). */
function readsAsLocal(text: string): boolean {
  try {
    return parseText(text).kind === 'local'
  } catch {
    return text === '' || text.startsWith('/')
  }
}

function absolute(path: RemotePath): string {
  return `/${path.text}`
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new MalformedSpec(`${JSON.stringify(text)} has a malformed %-escape`)
  }
}

function encodeUrlText(text: string, unsafe: RegExp): string {
  return text.replace(unsafe, (c) => encodeURIComponent(c))
}
