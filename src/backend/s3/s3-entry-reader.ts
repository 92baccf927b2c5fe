import type {BackendEntry} from '../backend.js'
import {Limiter} from '../../util/limiter.js'
import {changeTokenOf, dirEntry, fileEntry, metadataOf, type ObjectFacts, type S3MetadataCache} from './s3-entry.js'
import type {S3Keys} from './s3-keys.js'
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
    return {entry: this.remember(head, head.metadata), head}
  }

  /** The entry of a listed object: from the cache while unchanged, else by HEAD (undefined if it went meanwhile). */
  async ofListed(key: string, facts: ObjectFacts): Promise<BackendEntry | undefined> {
    const cached = this.cache.get(changeTokenOf(facts))
    if (cached) return fileEntry(facts, cached)
    const head = await this.heads.run(() => this.requests.head(key))
    return head && this.remember(head, head.metadata)
  }

  /** The entry of an object whose metadata was read, recorded in the cache. */
  private remember(facts: ObjectFacts, metadata: Record<string, string>): BackendEntry {
    const read = metadataOf(facts, metadata)
    this.cache.set(changeTokenOf(facts), read)
    return fileEntry(facts, read)
  }

  /**
   * After a change of the object that had token `replaced`, its record says what was
   * written: the new object keeps that token after a same-second metadata copy or rewrite
   * of the same bytes (see `changeTokenOf`); a new token is not found, and HEADed once.
   */
  forget(replaced: string | undefined, mtimeMs: number, md5?: string): void {
    if (replaced === undefined || replaced === 'dir') return
    this.cache.set(replaced, md5 === undefined ? {mtimeNs: BigInt(mtimeMs) * 1_000_000n} : {mtimeNs: BigInt(mtimeMs) * 1_000_000n, md5})
  }
}
