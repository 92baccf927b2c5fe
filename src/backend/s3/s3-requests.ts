import {createHash} from 'node:crypto'
import type {Readable} from 'node:stream'

import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type _Object,
  type HeadObjectCommandOutput,
  type PutObjectCommandInput,
  type ServerSideEncryption,
  type StorageClass,
  type S3Client,
} from '@aws-sdk/client-s3'

import type {ObjectFacts} from './s3-entry.js'
import {isNotFound, s3Failure, type S3Place} from './s3-errors.js'

/** An object as a HEAD reports it. */
export interface HeadResult extends ObjectFacts {
  metadata: Record<string, string>
  /** The headers a metadata REPLACE must send again, or the object loses them. */
  contentType?: string
  cacheControl?: string
  contentEncoding?: string
  contentDisposition?: string
  contentLanguage?: string
  /** A REPLACE copy sends these again too, or the object moves to STANDARD or loses its KMS key (on AWS). */
  storageClass?: StorageClass
  serverSideEncryption?: ServerSideEncryption
  sseKmsKeyId?: string
}

/** One page-walked directory listing (`Delimiter: '/'`): the keys and common prefixes right under a prefix. */
export interface DirectoryListing {
  objects: Array<ObjectFacts & {key: string}>
  prefixes: string[]
}

/** An incomplete multipart upload. */
export interface PendingUpload {
  key: string
  uploadId: string
  initiated: Date
}

/**
 * The requests the S3 backend makes, on one bucket, each with its failure translated (see
 * `s3Failure`): the one place that builds SDK commands, so the backend reads as what it
 * does, and tests can count requests by wrapping the client.
 */
export class S3Requests {
  constructor(
    readonly client: S3Client,
    readonly place: S3Place,
  ) {}

  get bucket(): string {
    return this.place.bucket
  }

  /** HEAD of a key, or undefined when nothing is there. */
  async head(key: string): Promise<HeadResult | undefined> {
    let out: HeadObjectCommandOutput
    try {
      out = await this.client.send(new HeadObjectCommand({Bucket: this.bucket, Key: key}))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw s3Failure(error, this.place, key)
    }
    return {
      size: out.ContentLength ?? 0,
      etag: out.ETag ?? '',
      lastModified: out.LastModified ?? new Date(0),
      metadata: out.Metadata ?? {},
      contentType: out.ContentType,
      cacheControl: out.CacheControl,
      contentEncoding: out.ContentEncoding,
      contentDisposition: out.ContentDisposition,
      contentLanguage: out.ContentLanguage,
      storageClass: out.StorageClass,
      serverSideEncryption: out.ServerSideEncryption,
      sseKmsKeyId: out.SSEKMSKeyId,
    }
  }

  /** Every object and common prefix right under `prefix` (all pages: ListObjectsV2 returns 1000 at most). */
  async listDirectory(prefix: string): Promise<DirectoryListing> {
    const listing: DirectoryListing = {objects: [], prefixes: []}
    let token: string | undefined
    do {
      const page = await this.send(prefix, () => this.client.send(new ListObjectsV2Command({Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token})))
      listing.objects.push(...objectsOf(page.Contents))
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) listing.prefixes.push(p.Prefix)
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return listing
  }

  /**
   * Every object under `prefix` at any depth (a flat listing, all pages), or undefined as
   * soon as there are more than `max`.
   */
  async listAll(prefix: string, max: number): Promise<DirectoryListing['objects'] | undefined> {
    const objects: DirectoryListing['objects'] = []
    let token: string | undefined
    do {
      const page = await this.send(prefix, () => this.client.send(new ListObjectsV2Command({Bucket: this.bucket, Prefix: prefix, ContinuationToken: token})))
      objects.push(...objectsOf(page.Contents))
      if (objects.length > max) return undefined
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return objects
  }

  /** Up to `max` keys under `prefix`, at any depth (one request): to see whether a directory holds anything. */
  async keysUnder(prefix: string, max = 2): Promise<string[]> {
    const page = await this.send(prefix, () => this.client.send(new ListObjectsV2Command({Bucket: this.bucket, Prefix: prefix, MaxKeys: max})))
    return (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]))
  }

  /**
   * A stream of an object's bytes (of its first `limit` bytes when given, by a Range),
   * refused (412) when `ifMatch` is given and the object no longer has that ETag.
   */
  async read(key: string, limit?: number, ifMatch?: string): Promise<Readable> {
    const range = limit === undefined ? undefined : `bytes=0-${limit - 1}`
    const out = await this.send(key, () => this.client.send(new GetObjectCommand({Bucket: this.bucket, Key: key, Range: range, IfMatch: ifMatch})))
    return out.Body as Readable
  }

  /** Hex MD5 of an object's first `size` bytes, read only while its ETag is `etag`. */
  async md5Of(key: string, size: number, etag: string): Promise<string> {
    const hash = createHash('md5')
    if (size > 0) for await (const chunk of await this.read(key, size, etag)) hash.update(chunk as Buffer)
    return hash.digest('hex')
  }

  /** A single PUT; returns the new ETag. */
  async put(input: Omit<PutObjectCommandInput, 'Bucket'>): Promise<string | undefined> {
    // A length given: the SDK otherwise warns about (and may mis-send) a body it cannot measure, an empty string among them.
    const length = typeof input.Body === 'string' || Buffer.isBuffer(input.Body) ? Buffer.byteLength(input.Body) : undefined
    const out = await this.send(input.Key!, () => this.client.send(new PutObjectCommand({ContentLength: length, ...input, Bucket: this.bucket})))
    return out.ETag
  }

  /**
   * Server-side copy of `from` to `to`: with `metadata`, the copy gets it instead of the
   * source's (REPLACE; `head`'s content headers are sent again so they are kept). Refused
   * (412) when `from` no longer has `ifMatch` as its ETag, on servers that honour it.
   * Returns the copy's ETag.
   */
  async copy(from: string, to: string, ifMatch: string, replace?: {metadata: Record<string, string>; head: HeadResult}): Promise<string | undefined> {
    const source = `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`
    const headers = replace && {
      MetadataDirective: 'REPLACE' as const,
      Metadata: replace.metadata,
      ContentType: replace.head.contentType,
      CacheControl: replace.head.cacheControl,
      ContentEncoding: replace.head.contentEncoding,
      ContentDisposition: replace.head.contentDisposition,
      ContentLanguage: replace.head.contentLanguage,
      StorageClass: replace.head.storageClass,
      ServerSideEncryption: replace.head.serverSideEncryption,
      SSEKMSKeyId: replace.head.sseKmsKeyId,
    }
    const out = await this.send(to, () => this.client.send(new CopyObjectCommand({Bucket: this.bucket, Key: to, CopySource: source, CopySourceIfMatch: ifMatch, ...headers})))
    return out.CopyObjectResult?.ETag
  }

  /** Deletes a key (S3 answers success for a missing one too). */
  async delete(key: string): Promise<void> {
    await this.send(key, () => this.client.send(new DeleteObjectCommand({Bucket: this.bucket, Key: key})))
  }

  /** The incomplete multipart uploads of keys under `prefix` (all pages). */
  async pendingUploads(prefix: string): Promise<PendingUpload[]> {
    const uploads: PendingUpload[] = []
    let keyMarker: string | undefined
    let idMarker: string | undefined
    for (;;) {
      const page = await this.send(prefix, () =>
        this.client.send(new ListMultipartUploadsCommand({Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker})),
      )
      for (const u of page.Uploads ?? []) {
        if (u.Key !== undefined && u.UploadId !== undefined) uploads.push({key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0)})
      }
      if (!page.IsTruncated) return uploads
      keyMarker = page.NextKeyMarker
      idMarker = page.NextUploadIdMarker
    }
  }

  /** Aborts an incomplete multipart upload (its parts are freed). */
  async abortUpload(upload: PendingUpload): Promise<void> {
    await this.send(upload.key, () => this.client.send(new AbortMultipartUploadCommand({Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId})))
  }

  /** Sends a command about `key`, translating its failure. */
  private async send<Output>(key: string, request: () => Promise<Output>): Promise<Output> {
    try {
      return await request()
    } catch (error) {
      throw s3Failure(error, this.place, key)
    }
  }
}

/** The objects of a listing page, as the backend reads them. */
function objectsOf(contents: _Object[] | undefined): DirectoryListing['objects'] {
  return (contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified ?? new Date(0)}]))
}
