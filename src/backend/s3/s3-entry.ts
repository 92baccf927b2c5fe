import type {BackendEntry} from '../backend.js'
import {S3_MTIME_PRECISION_NS} from './s3-capabilities.js'
import {decodeMtime, freeMd5Of, MTIME_KEY, parseEtag} from './s3-metadata.js'

/** What a listing tells of an object: no user metadata (that costs a HEAD). */
export interface ObjectFacts {
  size: number
  etag: string
  lastModified: Date
}

/** What only a HEAD tells of an object, and what the metadata cache keeps of it. */
export interface ObjectMetadata {
  /** From the `mtime` metadata, else LastModified; in nanoseconds, at the root's precision. */
  mtimeNs: bigint
  /** Hex MD5 of the content when the object gives one for free (ETag, or `md5chksum`). */
  md5?: string
}

const PRECISION = BigInt(S3_MTIME_PRECISION_NS)
const NS_PER_MS = 1_000_000n

/**
 * The change token of an object: ETag, LastModified in whole seconds, and size. Any
 * rewrite moves the ETag or LastModified (a PUT of the same bytes keeps the ETag but not
 * LastModified), and so does a metadata change (a copy onto itself: radosgw keeps the
 * ETag, LastModified moves), so equal tokens prove the metadata read before is still the
 * object's: what lets a listing stand in for a HEAD per object.
 *
 * Whole seconds, because a HEAD's Last-Modified is an HTTP date (seconds) while a listing
 * gives milliseconds (radosgw): both must give one token for one object, or a listing
 * never finds what a HEAD recorded. The cost: a metadata change within the same second
 * as the HEAD before it keeps the token, so a record taken in that second may go stale
 * unseen; whoever persists records must not keep one whose LastModified is that recent
 * (the racy rule of `backend-hash-identity.ts`, applied to LastModified).
 */
export function changeTokenOf(facts: ObjectFacts): string {
  return `${facts.etag}|${Math.floor(facts.lastModified.getTime() / 1000)}|${facts.size}`
}

/** The parts of a change token (`changeTokenOf`), or undefined for text that is not one. */
export function parseChangeToken(token: string): {etag: string; seconds: number; size: number} | undefined {
  const [etag, seconds, size] = token.split('|')
  const parsed = {etag: etag!, seconds: Number(seconds), size: Number(size)}
  return Number.isInteger(parsed.seconds) && Number.isInteger(parsed.size) ? parsed : undefined
}

/**
 * An object's mtime and free MD5 from its HEAD: the `mtime` metadata (truncated to the
 * root's precision), else LastModified, as rclone falls back for objects other tools
 * wrote; the MD5 from the ETag or `md5chksum`.
 */
export function metadataOf(facts: ObjectFacts, userMetadata: Record<string, string> | undefined): ObjectMetadata {
  const stored = decodeMtime(userMetadata?.[MTIME_KEY])
  const mtimeNs = stored === undefined ? BigInt(facts.lastModified.getTime()) * NS_PER_MS : floorTo(stored, PRECISION)
  const md5 = freeMd5Of(facts.etag, userMetadata)
  return md5 === undefined ? {mtimeNs} : {mtimeNs, md5}
}

/** The entry of an object: what `stat` and `list` report for a file. */
export function fileEntry(facts: ObjectFacts, metadata: ObjectMetadata): BackendEntry {
  const entry: BackendEntry = {type: 'file', size: facts.size, mtimeNs: metadata.mtimeNs, changeToken: changeTokenOf(facts)}
  // A single-part ETag is the MD5, whatever a record says.
  const md5 = parseEtag(facts.etag).md5 ?? metadata.md5
  if (md5 !== undefined) entry.md5 = md5
  return entry
}

/**
 * The entry of a directory: it keeps no mtime on S3 (see `S3_CAPABILITIES.emptyDirs`),
 * so 0, and no change token beyond being one.
 */
export function dirEntry(): BackendEntry {
  return {type: 'dir', size: 0, mtimeNs: 0n, changeToken: 'dir'}
}

/** Floors a signed nanosecond count to a multiple of `step` (towards the past, also before 1970). */
function floorTo(ns: bigint, step: bigint): bigint {
  const rest = ns % step
  return rest < 0n ? ns - rest - step : ns - rest
}

/**
 * Metadata read by HEAD, kept by object key and change token (`recordKey`) so that a
 * listing of an unchanged object needs no HEAD (a warm no-change plan makes list requests
 * only). `FileMetadataCache` keeps it across runs.
 */
export interface S3MetadataCache {
  get(record: string): ObjectMetadata | undefined
  set(record: string, metadata: ObjectMetadata): void
}

/** An in-memory `S3MetadataCache`, bounded: the oldest records go first past `limit`. */
export class MemoryMetadataCache implements S3MetadataCache {
  private readonly records = new Map<string, ObjectMetadata>()

  constructor(private readonly limit = 1_000_000) {}

  get(record: string): ObjectMetadata | undefined {
    return this.records.get(record)
  }

  set(record: string, metadata: ObjectMetadata): void {
    this.records.delete(record)
    this.records.set(record, metadata)
    if (this.records.size > this.limit) this.records.delete(this.records.keys().next().value!)
  }

  /** Records kept now. */
  get size(): number {
    return this.records.size
  }
}
