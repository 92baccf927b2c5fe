/**
 * What treesync keeps in an object's user metadata and its ETag, in rclone's encoding so
 * that either tool reads what the other wrote:
 * - `mtime`: the file's modification time as Unix seconds with a fraction
 *   (`1704164644.5`, rclone writes nine digits: `1704164644.500000000`);
 * - `md5chksum`: the base64 MD5 of the content, written for multipart uploads, whose
 *   ETag is not an MD5;
 * - the ETag: the hex MD5 of the content for a single-part upload (`"9e10…"`), or
 *   `"<hex>-<parts>"` for a multipart one (an MD5 of the parts' MD5s: useless as a hash).
 *
 * The SDK hands user metadata keys lower-cased and without `x-amz-meta-`.
 */

/** User-metadata key of the mtime (rclone's). */
export const MTIME_KEY = 'mtime'
/** User-metadata key of the base64 MD5 of a multipart upload (rclone's). */
export const MD5_KEY = 'md5chksum'

const NS_PER_S = 1_000_000_000n
const NS_PER_MS = 1_000_000n
/** Seconds, then an optional fraction: what rclone writes, and what a human might. */
const FLOAT_SECONDS = /^(-?\d+)(?:\.(\d+))?$/

/**
 * Parses an `mtime` value into nanoseconds since the epoch, or undefined when it is not
 * one (another tool's, or a human's, garbage is ignored: the object then has no mtime).
 * Decoded as rclone decodes it: the integer part is signed, the fraction always counts
 * forward (`-12.5` is -12 s + 0.5 s), so times before 1970 round-trip with `encodeMtime`.
 * Digits past nanoseconds are dropped. Parsed as text, not as a float: a double cannot
 * hold 19 significant digits, and a float parse would move mtimes by up to 200 ns.
 */
export function decodeMtime(text: string | undefined): bigint | undefined {
  const match = text === undefined ? null : FLOAT_SECONDS.exec(text.trim())
  if (!match) return undefined
  const fraction = (match[2] ?? '').slice(0, 9).padEnd(9, '0')
  return BigInt(match[1]!) * NS_PER_S + BigInt(fraction)
}

/**
 * The `mtime` value of a whole-millisecond time, as rclone writes it: seconds (rounded
 * down, so the fraction is never negative) and nine fraction digits.
 */
export function encodeMtime(mtimeMs: number): string {
  if (!Number.isInteger(mtimeMs)) throw new TypeError(`mtime must be whole milliseconds: ${mtimeMs}`)
  const ns = BigInt(mtimeMs) * NS_PER_MS
  let seconds = ns / NS_PER_S
  let fraction = ns % NS_PER_S
  if (fraction < 0n) {
    seconds -= 1n
    fraction += NS_PER_S
  }
  return `${seconds}.${fraction.toString().padStart(9, '0')}`
}

/** What an ETag says: the content's MD5 (single-part upload), or the number of parts. */
export interface ParsedEtag {
  /** Hex MD5 of the content: only for a single-part upload. */
  md5?: string
  /** Parts of a multipart upload (`-N`); undefined for a single-part one. */
  parts?: number
}

const SINGLE_PART = /^[0-9a-f]{32}$/
const MULTIPART = /^[0-9a-f]{32}-(\d+)$/

/**
 * Parses an ETag as S3 and Ceph send it (quoted; weak `W/` prefixes tolerated). An ETag
 * that is neither shape (an encrypted object's, a gateway's own) is neither: no MD5.
 */
export function parseEtag(etag: string | undefined): ParsedEtag {
  const bare = unquotedEtag((etag ?? '').replace(/^W\//, '')).toLowerCase()
  if (SINGLE_PART.test(bare)) return {md5: bare}
  const multi = MULTIPART.exec(bare)
  if (multi) return {parts: Number(multi[1])}
  return {}
}

/** An ETag without its quotes: servers answer with or without them, and some want them left off. */
export function unquotedEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1')
}

/** The hex MD5 kept in `md5chksum` (base64), or undefined when it is missing or not a 16-byte digest. */
export function decodeMd5Metadata(value: string | undefined): string | undefined {
  if (value === undefined || !/^[A-Za-z0-9+/]{22}==$/.test(value)) return undefined
  return Buffer.from(value, 'base64').toString('hex')
}

/** The `md5chksum` value (base64) of a hex MD5. */
export function encodeMd5Metadata(md5Hex: string): string {
  if (!/^[0-9a-f]{32}$/.test(md5Hex)) throw new TypeError(`not a hex MD5: ${md5Hex}`)
  return Buffer.from(md5Hex, 'hex').toString('base64')
}

/**
 * The content MD5 an object gives for free: its ETag's for a single-part upload, else its
 * `md5chksum` metadata (when the metadata was read: a listing carries none).
 */
export function freeMd5Of(etag: string | undefined, metadata?: Record<string, string>): string | undefined {
  return parseEtag(etag).md5 ?? decodeMd5Metadata(metadata?.[MD5_KEY])
}

/**
 * The user metadata of an object treesync writes: the mtime always, the MD5 when the
 * upload is multipart (a single-part upload's ETag already is one; rclone does the same).
 */
export function objectMetadata(mtimeMs: number, multipartMd5?: string): Record<string, string> {
  const metadata: Record<string, string> = {[MTIME_KEY]: encodeMtime(mtimeMs)}
  if (multipartMd5 !== undefined) metadata[MD5_KEY] = encodeMd5Metadata(multipartMd5)
  return metadata
}
