import type {BackendEntry} from '../backend.js'
import {Limiter} from '../../util/limiter.js'
import {changeTokenOf, dirEntry, fileEntry, metadataOf, parseChangeToken, type ObjectFacts, type S3MetadataCache} from './s3-entry.js'
import type {S3Keys} from './s3-keys.js'
import {unquotedEtag} from './s3-metadata.js'
import type {HeadResult, S3Requests} from './s3-requests.js'

/** What is at a path, and a file's HEAD (what the changes need of it). */
export type Found = {entry: BackendEntry; head?: HeadResult}

/**
 * The entries of an S3 tree as the backend reports them, read through the metadata
 * cache: a listed object whose change token the cache knows needs no HEAD; one it does not
 * know is HEADed (16 at once) and recorded; a change records what it wrote.
 */
export class S3EntryReader {
  private readonly heads: Limiter

  constructor(
    private readonly requests: S3Requests,
    private readonly keys: S3Keys,
    private readonly cache: S3MetadataCache,
    headConcurrency: number,
  ) {
    this.heads = new Limiter(headConcurrency)
  }

  /** The entry at a path: a directory when any key lies under its prefix (even if an object has its name too), else the object. */
  async find(path: string): Promise<Found | undefined> {
    if (path === '') return {entry: dirEntry()}
    const [head, under] = await Promise.all([this.requests.head(this.keys.fileKey(path)), this.requests.keysUnder(this.keys.dirPrefix(path), 1)])
    if (under.length > 0) return {entry: dirEntry()}
    if (!head) return undefined
    return {entry: this.remember(this.keys.fileKey(path), head, head.metadata), head}
  }

  /** The entry of a listed object: from the cache while unchanged, else by HEAD (undefined if it went meanwhile). */
  async ofListed(key: string, facts: ObjectFacts): Promise<BackendEntry | undefined> {
    const cached = this.cache.get(recordKey(key, changeTokenOf(facts)))
    if (cached) return fileEntry(facts, cached)
    const head = await this.heads.run(() => this.requests.head(key))
    return head && this.remember(key, head, head.metadata)
  }

  /** The entry of an object whose metadata was read, recorded in the cache. */
  private remember(key: string, facts: ObjectFacts, metadata: Record<string, string>): BackendEntry {
    const read = metadataOf(facts, metadata)
    this.cache.set(recordKey(key, changeTokenOf(facts)), read)
    return fileEntry(facts, read)
  }

  /**
   * After a change of the object that had token `replaced`, its record says what was
   * written: the new object keeps that token after a same-second metadata copy or rewrite
   * of the same bytes (see `changeTokenOf`); a new token is not found, and HEADed once.
   * Only when the server answered with the old ETag (`written`, same size): a change of
   * the bytes must never leave a record under a token the old bytes may come back with
   * (a restored version in a versioned bucket).
   */
  forget(path: string, replaced: string | undefined, written: {etag: string | undefined; size: number}, mtimeMs: number, md5?: string): void {
    if (replaced === undefined || replaced === 'dir' || written.etag === undefined) return
    // Quoted or not: a copy's answer and a HEAD's may differ in that alone (radosgw).
    const old = parseChangeToken(replaced)
    if (!old || unquotedEtag(old.etag) !== unquotedEtag(written.etag) || old.size !== written.size) return
    this.cache.set(recordKey(this.keys.fileKey(path), replaced), md5 === undefined ? {mtimeNs: BigInt(mtimeMs) * 1_000_000n} : {mtimeNs: BigInt(mtimeMs) * 1_000_000n, md5})
  }

  /**
   * Records a single PUT's object under each change token it may have, so the next
   * listing finds it without a HEAD (after an initial upload, the first plan would
   * otherwise HEAD every object). Its ETag and size are known; its LastModified only as
   * a second between `fromMs` and `toMs` on the server's clock, taken as ours give or take
   * a second (a server further off costs a HEAD, nothing more). Its MD5 is the ETag.
   */
  wrote(path: string, facts: Pick<ObjectFacts, 'etag' | 'size'>, fromMs: number, toMs: number, mtimeMs: number): void {
    const key = this.keys.fileKey(path)
    for (let second = Math.floor(fromMs / 1000) - 1; second <= Math.floor(toMs / 1000) + 1; second++) {
      this.cache.set(recordKey(key, changeTokenOf({...facts, lastModified: new Date(second * 1000)})), {mtimeNs: BigInt(mtimeMs) * 1_000_000n})
    }
  }
}

/**
 * A record's key in the metadata cache: the change token, then the object's key. Two
 * objects of the same bytes written in the same second have one token; their mtimes may
 * differ, so the key keeps their records apart.
 */
export function recordKey(key: string, changeToken: string): string {
  return `${changeToken}|${key}`
}
