import type {Readable} from 'node:stream'

import {TreesyncError} from '../../errors.js'
import {baseName} from '../../tree/paths.js'
import {isTempName} from '../../tree/temp-name.js'
import {Limiter} from '../../util/limiter.js'
import {ABSENT, type Backend, type BackendEntry, type ContentHash, type ExpectedEntry, type ExpectedState, type ListedEntry, type MetadataChange, type SourceFile, type WriteAttributes} from '../backend.js'
import type {Capabilities} from '../capabilities.js'
import {assertExpected} from '../preconditions.js'
import {NO_CONDITIONAL_WRITES, probeConditionalWrites, type ConditionalWrites} from './conditional-writes.js'
import {S3_CAPABILITIES} from './s3-capabilities.js'
import {changeTokenOf, dirEntry, fileEntry, MemoryMetadataCache, metadataOf, type ObjectFacts, type S3MetadataCache} from './s3-entry.js'
import {isPreconditionFailed, withRootPath} from './s3-errors.js'
import type {S3Keys} from './s3-keys.js'
import {entriesOfListing} from './s3-listing.js'
import {encodeMtime, freeMd5Of, MTIME_KEY} from './s3-metadata.js'
import type {HeadResult, S3Requests} from './s3-requests.js'
import {abortClaimedUploads} from './upload-claims.js'
import {uploadObject, type UploadTarget} from './upload-object.js'

/** The most one CopyObject copies: a larger object's metadata cannot be replaced in place. */
const MAX_COPY_BYTES = 5 * 1024 ** 3

/** How an S3 backend is set up beyond its bucket and prefix. */
export interface S3BackendOptions {
  /** Metadata read by HEAD, by change token: shared by the run's backends (and later persisted). */
  metadataCache?: S3MetadataCache
  /** HEAD requests in flight while a listing fetches metadata it has not cached (16). */
  headConcurrency?: number
  /** The conditional writes the server honours, when known; probed at the first write otherwise. */
  conditionalWrites?: ConditionalWrites | 'assume-none'
  /** Told what the probe found, so the run's other backends on the bucket need not probe again. */
  onConditionalWrites?: (found: ConditionalWrites) => void
}

/** What is at a path, and a file's HEAD (what the changes need of it). */
type Found = {entry: BackendEntry; head?: HeadResult}

/**
 * The objects under a prefix of an S3 bucket, as a `Backend` (rclone's layout: see
 * `S3Keys` and `s3-metadata.ts`). Directories are key prefixes; a listing is one
 * ListObjectsV2 per directory (Delimiter `/`), and an object's mtime, which only a HEAD
 * gives, comes from the metadata cache while its ETag, LastModified and size are
 * unchanged. Every change checks its precondition by HEAD just before it is made, and
 * writes conditionally where the server honours that (probed). There is nothing to
 * contain: keys are names, not paths a server resolves, so nothing can lead out of the
 * prefix.
 *
 * The client belongs to the caller (one per run, shared by the run's roots): `close()`
 * leaves it open.
 */
export class S3Backend implements Backend {
  readonly capabilities: Capabilities = S3_CAPABILITIES
  private readonly cache: S3MetadataCache
  private readonly heads: Limiter
  private conditional: Promise<ConditionalWrites> | undefined
  private readonly onConditionalWrites: ((found: ConditionalWrites) => void) | undefined

  constructor(
    private readonly requests: S3Requests,
    private readonly keys: S3Keys,
    /** The root as the user named it (`s3://bucket/prefix`), for messages. */
    readonly root: string = keys.url,
    options: S3BackendOptions = {},
  ) {
    this.cache = options.metadataCache ?? new MemoryMetadataCache()
    this.heads = new Limiter(options.headConcurrency ?? 16)
    this.onConditionalWrites = options.onConditionalWrites
    const known = options.conditionalWrites
    if (known) this.conditional = Promise.resolve(known === 'assume-none' ? NO_CONDITIONAL_WRITES : known)
  }

  async list(dir: string): Promise<ListedEntry[]> {
    return withRootPath(dir, async () => {
      const listing = await this.requests.listDirectory(this.keys.dirPrefix(dir))
      if (dir !== '' && listing.prefixes.length === 0 && listing.objects.length === 0) {
        throw Object.assign(new Error(`no such directory: ${this.root}/${dir}`), {code: 'ENOENT', path: dir})
      }
      return entriesOfListing(this.keys, dir, listing, (o) => this.entryOfListed(o.key, o))
    })
  }

  async stat(path: string): Promise<BackendEntry | undefined> {
    return withRootPath(path, async () => (await this.find(path))?.entry)
  }

  async hash(path: string, limit = Number.POSITIVE_INFINITY): Promise<ContentHash> {
    return withRootPath(path, async () => {
      const key = this.keys.fileKey(path)
      const head = await this.requests.head(key)
      if (!head) throw Object.assign(new Error(`no such file: ${this.root}/${path}`), {code: 'ENOENT', path})
      const size = Math.min(limit, head.size)
      const free = size === head.size ? freeMd5Of(head.etag, head.metadata) : undefined
      if (free !== undefined) return {md5: free, size}
      return {md5: await this.requests.md5Of(key, size, head.etag), size}
    })
  }

  async openRead(path: string): Promise<Readable> {
    return withRootPath(path, () => this.requests.read(this.keys.fileKey(path)))
  }

  async writeFile(path: string, from: SourceFile, attributes: WriteAttributes, expected: ExpectedState): Promise<void> {
    return withRootPath(path, async () => {
      let replaced: string | undefined
      await uploadObject(path, from, attributes, expected, this.uploadTarget((entry) => (replaced = entry?.changeToken)))
      this.forget(replaced, attributes.mtimeMs, attributes.md5)
    })
  }

  /** S3 keeps no symlinks (`capabilities.symlinks` is false: the plan warns instead of calling this). */
  async symlink(path: string): Promise<void> {
    throw new TreesyncError('BAD_INPUT', `${this.root} cannot hold symbolic links`, path)
  }

  /** Writes the directory's zero-byte marker `dir/` (see `S3_CAPABILITIES.emptyDirs`); the root always exists. */
  async mkdir(path: string): Promise<void> {
    return withRootPath(path, async () => {
      if (path === '') return
      assertExpected(path, (await this.find(path))?.entry, ABSENT)
      const {ifNoneMatch} = await this.conditionalWrites()
      await this.requests.put({Key: this.keys.markerKey(path)!, Body: '', ...(ifNoneMatch ? {IfNoneMatch: '*'} : {})}).catch((error: unknown) => {
        if (isPreconditionFailed(error)) throw new TreesyncError('PLAN_STALE', 'replica entry appeared since the plan was made', path)
        throw error
      })
    })
  }

  /**
   * Removes the directory's marker, once nothing else is under it. A key written under it
   * meanwhile is not lost: the directory then goes on existing through that key.
   */
  async rmdir(path: string): Promise<void> {
    return withRootPath(path, async () => {
      assertExpected(path, (await this.find(path))?.entry, {type: 'dir'})
      const marker = this.keys.markerKey(path)
      const under = await this.requests.keysUnder(this.keys.dirPrefix(path), 2)
      if (under.some((key) => key !== marker)) throw new TreesyncError('PLAN_STALE', 'directory is not empty: it holds entries the plan does not name', path)
      if (marker !== undefined && under.includes(marker)) await this.requests.delete(marker)
    })
  }

  async remove(path: string, expected: ExpectedEntry): Promise<void> {
    return withRootPath(path, async () => {
      assertExpected(path, (await this.find(path))?.entry, expected)
      const key = this.keys.fileKey(path)
      // A temporary's name is treesync's own: a claim of a multipart upload, aborted with it.
      if (isTempName(baseName(path))) await abortClaimedUploads(this.requests, key)
      else await this.requests.delete(key)
    })
  }

  /**
   * A server-side copy, then a delete of the original (`cheapMove` false: the store copies
   * every byte). The original is deleted only if it is still the object copied.
   */
  async move(from: string, to: string, expected: ExpectedEntry): Promise<void> {
    return withRootPath(from, async () => {
      const [source, taken] = await Promise.all([this.find(from), this.find(to)])
      assertExpected(from, source?.entry, expected)
      assertExpected(to, taken?.entry, ABSENT)
      if (!source?.head) throw new TreesyncError('BAD_INPUT', 'only files are moved on S3', from)
      await this.requests.copy(this.keys.fileKey(from), this.keys.fileKey(to), source.head.etag)
      // DELETE is not conditional on Ceph: look again, and keep an original rewritten meanwhile.
      const now = await this.requests.head(this.keys.fileKey(from))
      if (now && changeTokenOf(now) !== changeTokenOf(source.head)) throw new TreesyncError('PLAN_STALE', 'source entry changed while it was moved: it is kept, and the copy made', from)
      if (now) await this.requests.delete(this.keys.fileKey(from))
    })
  }

  /**
   * Sets a file's mtime by copying the object onto itself with its metadata replaced (a
   * server-side copy: no data through us). Modes are not kept; a directory keeps no mtime
   * (see `S3_CAPABILITIES`), so for one nothing is done.
   */
  async setMetadata(path: string, change: MetadataChange, expected?: ExpectedEntry): Promise<void> {
    return withRootPath(path, async () => {
      const found = await this.find(path)
      if (expected) assertExpected(path, found?.entry, expected)
      if (!found) throw new TreesyncError('PLAN_STALE', 'replica entry changed since the plan was made: it no longer exists', path)
      if (!found.head || change.mtimeMs === undefined) return
      if (found.head.size > MAX_COPY_BYTES) {
        throw new TreesyncError('BAD_INPUT', 'cannot fix the mtime of an object over 5 GiB in place (S3 copies at most 5 GiB in one request): upload it again', path)
      }
      const metadata = {...found.head.metadata, [MTIME_KEY]: encodeMtime(change.mtimeMs)}
      const key = this.keys.fileKey(path)
      await this.requests.copy(key, key, found.head.etag, {metadata, head: found.head}).catch((error: unknown) => {
        if (isPreconditionFailed(error)) throw new TreesyncError('PLAN_STALE', 'replica entry changed since the plan was made', path)
        throw error
      })
      this.forget(found.entry.changeToken, change.mtimeMs, found.entry.md5)
    })
  }

  /** The client stays open: it belongs to the caller (see the class). */
  async close(): Promise<void> {}

  /** The entry at a path: a directory when any key lies under its prefix (even if an object has its name too), else the object. */
  private async find(path: string): Promise<Found | undefined> {
    if (path === '') return {entry: dirEntry()}
    const [head, under] = await Promise.all([this.requests.head(this.keys.fileKey(path)), this.requests.keysUnder(this.keys.dirPrefix(path), 1)])
    if (under.length > 0) return {entry: dirEntry()}
    if (!head) return undefined
    return {entry: this.remember(head, head.metadata), head}
  }

  /** The entry of a listed object: from the cache while unchanged, else by HEAD (undefined if it went meanwhile). */
  private async entryOfListed(key: string, facts: ObjectFacts): Promise<BackendEntry | undefined> {
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
  private forget(replaced: string | undefined, mtimeMs: number, md5?: string): void {
    if (replaced === undefined || replaced === 'dir') return
    this.cache.set(replaced, md5 === undefined ? {mtimeNs: BigInt(mtimeMs) * 1_000_000n} : {mtimeNs: BigInt(mtimeMs) * 1_000_000n, md5})
  }

  private conditionalWrites(): Promise<ConditionalWrites> {
    this.conditional ??= probeConditionalWrites(this.requests, this.keys.base).then((found) => {
      this.onConditionalWrites?.(found)
      return found
    })
    return this.conditional
  }

  /** What an upload needs of this backend; `seen` is told each entry found by the check just before. */
  private uploadTarget(seen: (entry: BackendEntry | undefined) => void): UploadTarget {
    return {
      requests: this.requests,
      keyOf: (path) => this.keys.fileKey(path),
      expectNow: async (path, expected) => {
        const found = await this.find(path)
        assertExpected(path, found?.entry, expected)
        seen(found?.entry)
        return found?.head?.etag
      },
      conditional: () => this.conditionalWrites(),
    }
  }
}
