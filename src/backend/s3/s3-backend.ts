import type {Readable} from 'node:stream'

import {TreesyncError} from '../../errors.js'
import {baseName, parentPath} from '../../tree/paths.js'
import {isTempName} from '../../tree/temp-name.js'
import {ABSENT, type Backend, type BackendEntry, type ContentHash, type ExpectedEntry, type ExpectedState, type ListedEntry, type MetadataChange, type SourceFile, type WriteAttributes} from '../backend.js'
import type {Capabilities} from '../capabilities.js'
import {assertExpected} from '../preconditions.js'
import {NO_CONDITIONAL_WRITES, probeConditionalWrites, type ConditionalWrites} from './conditional-writes.js'
import {S3_CAPABILITIES} from './s3-capabilities.js'
import {changeTokenOf, MemoryMetadataCache, type S3MetadataCache} from './s3-entry.js'
import {isPreconditionFailed, withRootPath} from './s3-errors.js'
import type {S3Keys} from './s3-keys.js'
import {entriesOfListing} from './s3-listing.js'
import {encodeMtime, freeMd5Of, MTIME_KEY} from './s3-metadata.js'
import type {S3Requests} from './s3-requests.js'
import {S3EntryReader} from './s3-entry-reader.js'
import {TreeListing} from './tree-listing.js'
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
  private readonly entries: S3EntryReader
  private readonly tree: TreeListing
  private conditional: Promise<ConditionalWrites> | undefined
  private readonly onConditionalWrites: ((found: ConditionalWrites) => void) | undefined

  constructor(
    private readonly requests: S3Requests,
    private readonly keys: S3Keys,
    /** The root as the user named it (`s3://bucket/prefix`), for messages. */
    readonly root: string = keys.url,
    options: S3BackendOptions = {},
  ) {
    this.entries = new S3EntryReader(requests, keys, options.metadataCache ?? new MemoryMetadataCache(), options.headConcurrency ?? 16)
    this.tree = new TreeListing(requests, keys.base)
    this.onConditionalWrites = options.onConditionalWrites
    const known = options.conditionalWrites
    if (known) this.conditional = Promise.resolve(known === 'assume-none' ? NO_CONDITIONAL_WRITES : known)
  }

  async list(dir: string): Promise<ListedEntry[]> {
    return withRootPath(dir, async () => {
      const prefix = this.keys.dirPrefix(dir)
      const listing = (await this.tree.take(prefix)) ?? (await this.requests.listDirectory(prefix))
      if (dir !== '' && listing.prefixes.length === 0 && listing.objects.length === 0) {
        throw Object.assign(new Error(`no such directory: ${this.root}/${dir}`), {code: 'ENOENT', path: dir})
      }
      return entriesOfListing(this.keys, dir, listing, (o) => this.entries.ofListed(o.key, o))
    })
  }

  /** A scan begins: the whole tree is listed flat, in few requests (see `TreeListing`). */
  willListTree(): void {
    this.tree.start()
  }

  async stat(path: string): Promise<BackendEntry | undefined> {
    return withRootPath(path, async () => (await this.entries.find(path))?.entry)
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
      const startedMs = Date.now()
      const etag = await uploadObject(path, from, attributes, expected, this.uploadTarget((entry) => (replaced = entry?.changeToken)))
      this.entries.forget(path, replaced, {etag, size: attributes.size}, attributes.mtimeMs, attributes.md5)
      if (etag !== undefined) this.entries.wrote(path, {etag, size: attributes.size}, startedMs, Date.now(), attributes.mtimeMs)
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
      assertExpected(path, (await this.entries.find(path))?.entry, ABSENT)
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
      assertExpected(path, (await this.entries.find(path))?.entry, {type: 'dir'})
      const marker = this.keys.markerKey(path)
      const under = await this.requests.keysUnder(this.keys.dirPrefix(path), 2)
      if (under.some((key) => key !== marker)) throw new TreesyncError('PLAN_STALE', 'directory is not empty: it holds entries the plan does not name', path)
      if (marker !== undefined && under.includes(marker)) await this.requests.delete(marker)
    })
  }

  async remove(path: string, expected: ExpectedEntry): Promise<void> {
    return withRootPath(path, async () => {
      assertExpected(path, (await this.entries.find(path))?.entry, expected)
      const key = this.keys.fileKey(path)
      // A temporary's name is treesync's own: a claim of a multipart upload, aborted with it.
      if (isTempName(baseName(path))) await abortClaimedUploads(this.requests, key)
      else await this.requests.delete(key)
      await this.keepFolder(parentPath(path))
    })
  }

  /**
   * A folder whose last key went (one another tool made without a marker, as rclone does
   * by default) would vanish with it; the source still has it unless the plan removes it
   * next, so it gets its marker, and the next plan finds it in place.
   */
  private async keepFolder(dir: string): Promise<void> {
    if (dir === '' || (await this.requests.keysUnder(this.keys.dirPrefix(dir), 1)).length > 0) return
    await this.requests.put({Key: this.keys.markerKey(dir)!, Body: ''})
  }

  /**
   * A server-side copy, then a delete of the original (`cheapMove` false: the store copies
   * every byte). The original is deleted only if it is still the object copied.
   */
  async move(from: string, to: string, expected: ExpectedEntry): Promise<void> {
    return withRootPath(from, async () => {
      const [source, taken] = await Promise.all([this.entries.find(from), this.entries.find(to)])
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
      const found = await this.entries.find(path)
      if (expected) assertExpected(path, found?.entry, expected)
      if (!found) throw new TreesyncError('PLAN_STALE', 'replica entry changed since the plan was made: it no longer exists', path)
      if (!found.head || change.mtimeMs === undefined) return
      if (found.head.size > MAX_COPY_BYTES) {
        throw new TreesyncError('BAD_INPUT', 'cannot fix the mtime of an object over 5 GiB in place (S3 copies at most 5 GiB in one request): upload it again', path)
      }
      const metadata = {...found.head.metadata, [MTIME_KEY]: encodeMtime(change.mtimeMs)}
      const key = this.keys.fileKey(path)
      const etag = await this.requests.copy(key, key, found.head.etag, {metadata, head: found.head}).catch((error: unknown) => {
        if (isPreconditionFailed(error)) throw new TreesyncError('PLAN_STALE', 'replica entry changed since the plan was made', path)
        throw error
      })
      this.entries.forget(path, found.entry.changeToken, {etag, size: found.head.size}, change.mtimeMs, found.entry.md5)
    })
  }

  /** The client stays open: it belongs to the caller (see the class). */
  async close(): Promise<void> {}

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
        const found = await this.entries.find(path)
        assertExpected(path, found?.entry, expected)
        seen(found?.entry)
        return found?.head?.etag
      },
      conditional: () => this.conditionalWrites(),
    }
  }
}
