/**
 * The pieces of a remote root spec, each checked on its own: user, host, bucket, remote
 * path. A problem is a `MalformedSpec`, which `parseRootSpec` turns into a BAD_ROOT error
 * naming the whole argument.
 */

/** A problem with one piece of a root spec's text. */
export class MalformedSpec extends Error {}

/** A remote path with empty and `.` segments dropped; `..` is kept, since symlinks on the server decide what it means. */
export interface RemotePath {
  absolute: boolean
  /** The segments joined by `/`, without a leading `/` (`''` for the root or the home). */
  text: string
}

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})$/
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9._-]+)?$/
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * A login name: not empty, no `/` or `:`, no spaces or control characters, and not
 * starting with `-`, which ssh would read as an option.
 */
export function checkUser(user: string): string {
  if (user === '') throw new MalformedSpec('the user name before "@" is empty')
  if (user.startsWith('-') || /[/:\s]/.test(user) || CONTROL.test(user) || !wellFormed(user)) {
    throw new MalformedSpec(`the user name ${JSON.stringify(user)} is not valid`)
  }
  return user
}

/** A host name or address; never one starting with `-`, which ssh would read as an option. */
export function checkHost(host: string, bracketed: boolean): string {
  if (host === '') throw new MalformedSpec('the host is missing')
  if (bracketed) {
    if (!host.includes(':') || !IPV6.test(host)) throw new MalformedSpec(`[${host}] is not an IPv6 address`)
    return host
  }
  if (!HOST_NAME.test(host)) throw new MalformedSpec(`the host ${JSON.stringify(host)} is not a host name or an address`)
  return host
}

/**
 * An S3 bucket name by the rules every S3-compatible store shares: 3 to 63 lowercase
 * letters, digits, dots and hyphens, starting and ending with a letter or digit, no two
 * dots in a row, not an IP address.
 */
export function checkBucket(bucket: string): string {
  if (bucket === '') throw new MalformedSpec('the bucket name is missing, as in s3://BUCKET[/PREFIX]')
  if (!BUCKET.test(bucket) || bucket.includes('..') || IPV4.test(bucket)) {
    throw new MalformedSpec(
      `${JSON.stringify(bucket)} is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
    )
  }
  return bucket
}

/** A path on a server, relative or absolute, with empty and `.` segments dropped. */
export function remotePath(path: string): RemotePath {
  if (!wellFormed(path)) throw new MalformedSpec('the path is not valid Unicode text')
  if (path.includes('\0')) throw new MalformedSpec('the path contains a NUL byte')
  const segments = path.split('/').filter((s) => s !== '' && s !== '.')
  return {absolute: path.startsWith('/'), text: segments.join('/')}
}

/** S3 keys and percent-escapes are UTF-8: text with a lone surrogate has no such form. */
export function wellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text)
}
