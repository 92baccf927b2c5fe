import type {S3Client} from '@aws-sdk/client-s3'

import {formatRootSpec, type S3RootSpec} from '../root-spec.js'
import type {ConditionalWrites} from './conditional-writes.js'
import {FileMetadataCache, metadataCacheFile} from './metadata-cache-file.js'
import type {S3Backend} from './s3-backend.js'
import {MemoryMetadataCache, type S3MetadataCache} from './s3-entry.js'
import type {S3Place} from './s3-errors.js'
import {endpointLabel, endpointOf, type S3Settings} from './s3-settings.js'

/** How a run reaches S3: where, and where its metadata records are kept between runs. */
export interface S3Options extends S3Settings {
  /** The cache directory: each root's metadata records are kept there (none: in memory for the run). */
  cacheDir?: string
}

/**
 * The S3 side of a run's connections (beside `RemoteConnections.ssh`): one client for the
 * run, made when a root first needs it and kept across watch cycles; each bucket checked
 * once (HeadBucket) before its first backend opens; one metadata cache per root, kept in
 * the cache directory across runs, so a plan of an unchanged tree lists without a HEAD;
 * and what each bucket was found to honour of conditional writes, probed once per bucket.
 * The AWS SDK is loaded when a first S3 root is opened, never by a run without one.
 */
export class S3Connections {
  private client: S3Client | undefined
  private readonly checked = new Map<string, Promise<void>>()
  private readonly conditionals = new Map<string, ConditionalWrites>()
  private readonly caches = new Map<string, Promise<S3MetadataCache>>()

  constructor(private readonly options: S3Options = {}) {}

  /** How the endpoint is named in messages: its URL as given, or `AWS S3`. */
  get endpoint(): string {
    return endpointLabel(this.options)
  }

  /**
   * The endpoint as one server has one name (for the replica lock and overlapping
   * roots): `HTTP://Host:80/` and `http://host` are one endpoint.
   */
  get endpointIdentity(): string {
    const endpoint = endpointOf(this.options)
    return endpoint === undefined ? 'AWS S3' : new URL(endpoint).href.replace(/\/+$/, '')
  }

  /**
   * Checks that `spec`'s bucket can be reached with the credentials (once per bucket per
   * run; a failure is not kept, so a watch's next cycle tries again). Throws
   * ROOT_UNREACHABLE naming the bucket and the endpoint.
   */
  async checkBucket(spec: S3RootSpec): Promise<void> {
    const client = await this.clientOf()
    const {checkBucket} = await import('./s3-client.js')
    const check = this.checked.get(spec.bucket) ?? checkBucket(client, this.placeOf(spec))
    this.checked.set(spec.bucket, check)
    await check.catch((error: unknown) => {
      this.checked.delete(spec.bucket)
      throw error
    })
  }

  /**
   * A backend on the objects under `spec`'s prefix, once its bucket is known to be
   * reachable. `text`: the root as the user or the plan names it. Nothing needs creating
   * for a replica: a prefix exists once written.
   */
  async backend(spec: S3RootSpec, text: string): Promise<S3Backend> {
    await this.checkBucket(spec)
    const [{S3Backend}, {S3Requests}, {S3Keys}] = await Promise.all([import('./s3-backend.js'), import('./s3-requests.js'), import('./s3-keys.js')])
    return new S3Backend(new S3Requests(await this.clientOf(), this.placeOf(spec)), new S3Keys(spec.bucket, spec.prefix), text, {
      metadataCache: await this.metadataCacheOf(spec),
      conditionalWrites: this.conditionals.get(spec.bucket),
      onConditionalWrites: (found) => this.conditionals.set(spec.bucket, found),
    })
  }

  /** Saves the metadata records and ends the client's connections; a later `backend` makes a new client. */
  async close(): Promise<void> {
    const caches = await Promise.all(this.caches.values())
    this.caches.clear()
    // A cache that cannot be written costs the next run HEADs, nothing more.
    await Promise.all(caches.map((cache) => (cache instanceof FileMetadataCache ? cache.save().catch(() => undefined) : undefined)))
    this.client?.destroy()
    this.client = undefined
    this.checked.clear()
  }

  private async clientOf(): Promise<S3Client> {
    if (!this.client) {
      const {createS3Client} = await import('./s3-client.js')
      this.client ??= createS3Client(this.options)
    }
    return this.client
  }

  private placeOf(spec: S3RootSpec): S3Place {
    return {bucket: spec.bucket, endpoint: this.endpoint}
  }

  private metadataCacheOf(spec: S3RootSpec): Promise<S3MetadataCache> {
    const root = formatRootSpec(spec)
    let cache = this.caches.get(root)
    if (!cache) {
      const {cacheDir} = this.options
      cache = cacheDir === undefined ? Promise.resolve(new MemoryMetadataCache()) : FileMetadataCache.open(metadataCacheFile(cacheDir, this.endpoint, root))
      this.caches.set(root, cache)
    }
    return cache
  }
}
