import type {S3Client} from '@aws-sdk/client-s3'

import type {S3RootSpec} from '../root-spec.js'
import type {ConditionalWrites} from './conditional-writes.js'
import {S3Backend} from './s3-backend.js'
import {checkBucket, createS3Client, endpointLabel, type S3Settings} from './s3-client.js'
import {MemoryMetadataCache, type S3MetadataCache} from './s3-entry.js'
import type {S3Place} from './s3-errors.js'
import {S3Keys} from './s3-keys.js'
import {S3Requests} from './s3-requests.js'

/**
 * The S3 side of a run's connections (what `RemoteConnections.ssh` is for SFTP, to be
 * wired in beside it): one client for the run, made when a root first needs it and kept
 * across watch cycles; each bucket checked once (HeadBucket) before its first backend
 * opens; one metadata cache shared by the run's backends, so a watch cycle lists an
 * unchanged tree without a HEAD; and what each bucket was found to honour of conditional
 * writes, probed once per bucket, not per backend.
 */
export class S3Connections {
  private client: S3Client | undefined
  private readonly checked = new Map<string, Promise<void>>()
  private readonly conditionals = new Map<string, ConditionalWrites>()

  constructor(
    private readonly settings: S3Settings = {},
    /** Records of object metadata by change token (persisting them across runs is the caller's). */
    readonly metadataCache: S3MetadataCache = new MemoryMetadataCache(),
  ) {}

  /**
   * A backend on the objects under `spec`'s prefix, once its bucket is known to be
   * reachable (ROOT_UNREACHABLE otherwise: a dead endpoint, refused credentials, a
   * missing bucket, naming the bucket and the endpoint). `text`: the root as the user or
   * the plan names it. Nothing needs creating for a replica: a prefix exists once written.
   */
  async backend(spec: S3RootSpec, text: string): Promise<S3Backend> {
    const client = (this.client ??= createS3Client(this.settings))
    const place: S3Place = {bucket: spec.bucket, endpoint: endpointLabel(this.settings)}
    const check = this.checked.get(spec.bucket) ?? checkBucket(client, place)
    this.checked.set(spec.bucket, check)
    // A failed check is not kept: the next cycle of a watch tries again.
    await check.catch((error: unknown) => {
      this.checked.delete(spec.bucket)
      throw error
    })
    const keys = new S3Keys(spec.bucket, spec.prefix)
    return new S3Backend(new S3Requests(client, place), keys, text, {
      metadataCache: this.metadataCache,
      conditionalWrites: this.conditionals.get(spec.bucket),
      onConditionalWrites: (found) => this.conditionals.set(spec.bucket, found),
    })
  }

  /** Ends the client's connections; a later `backend` makes a new client. */
  close(): void {
    this.client?.destroy()
    this.client = undefined
    this.checked.clear()
  }
}
