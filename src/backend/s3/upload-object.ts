import {createHash} from 'node:crypto'
import {Transform, type Readable} from 'node:stream'

import {Upload} from '@aws-sdk/lib-storage'

import {TreesyncError} from '../../errors.js'
import {ABSENT, type BackendEntry, type ExpectedState, type SourceFile, type WriteAttributes} from '../backend.js'
import {sourceDrift} from '../preconditions.js'
import type {ConditionalWrites} from './conditional-writes.js'
import {isPreconditionFailed} from './s3-errors.js'
import {objectMetadata, unquotedEtag} from './s3-metadata.js'
import type {S3Requests} from './s3-requests.js'
import {writeClaim} from './upload-claims.js'

/** Files up to this size go up in one PUT from memory; larger ones as a multipart upload of parts this size (at least). */
export const PART_SIZE = 8 * 1024 * 1024
/** S3 allows 10,000 parts; a margin under it, so a file that grew a little still fits. */
const MAX_PARTS = 9_000
/** Parts in flight at once for one file (lib-storage buffers this many parts in memory). */
const QUEUE_SIZE = 4

/** What an upload needs of the S3 backend it lands in. */
export interface UploadTarget {
  requests: S3Requests
  /** The object key of a relative path. */
  keyOf(path: string): string
  /**
   * Checks, by HEAD just before the change, that `path` holds `expected` (PLAN_STALE if
   * not); returns the ETag of the object there, for an `If-Match`.
   */
  expectNow(path: string, expected: ExpectedState): Promise<string | undefined>
  /** Which conditional PUT headers the server honours (probed once). */
  conditional(): Promise<ConditionalWrites>
}

/**
 * Writes a file from any backend to S3, atomically by nature: a single PUT, or a
 * multipart upload that becomes visible only when completed. The source's stat and the
 * target's precondition are checked before anything is read; the bytes are hashed on the
 * way; then, only if the source kept its size, mtime and change token, and the bytes are
 * the planned ones, the target is checked again by HEAD and the object is written with
 * its `mtime` metadata, conditionally (`If-None-Match: *` to create, `If-Match: ETAG` to
 * replace) where the server honours that, which closes the window after the HEAD.
 * Returns the ETag of a single PUT (a multipart upload's is not needed: see the caller).
 */
export async function uploadObject(path: string, from: SourceFile, wanted: WriteAttributes, expected: ExpectedState, target: UploadTarget): Promise<string | undefined> {
  // The target is checked before reading only for a large file: a small one is read at
  // once, and checked just before its PUT anyway (two requests saved per small file).
  const small = wanted.size <= PART_SIZE
  const [before] = await Promise.all([from.backend.stat(from.path), small ? undefined : target.expectNow(path, expected)])
  const drift = sourceDrift(before, from.expected)
  if (drift) throw new TreesyncError('PLAN_STALE', `source file changed since the plan was made: ${drift}`, path)
  try {
    if (small) return await putFromMemory(path, from, before!, wanted, expected, target)
    await putMultipart(path, from, before!, wanted, expected, target)
    return undefined
  } catch (error) {
    if (isPreconditionFailed(error)) throw new TreesyncError('PLAN_STALE', expected === ABSENT ? 'replica entry appeared since the plan was made' : 'replica entry changed since the plan was made', path)
    throw error
  }
}

/** A small file: read whole (no more than one byte past the planned size), checked, then one PUT with Content-MD5; returns its ETag. */
async function putFromMemory(path: string, from: SourceFile, before: BackendEntry, wanted: WriteAttributes, expected: ExpectedState, target: UploadTarget): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  const hash = createHash('md5')
  const stream = await from.backend.openRead(from.path)
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk)
    hash.update(chunk)
    size += chunk.length
    // More than planned is a mismatch whatever follows: stop reading it into memory.
    if (size > wanted.size) break
  }
  stream.destroy()
  const md5 = hash.digest()
  await assertCopied(path, from, before, wanted, size, md5.toString('hex'))
  const conditional = await target.conditional()
  const etag = serverChecksAbsence(conditional, expected) ? undefined : await target.expectNow(path, expected)
  const conditions = conditionHeaders(conditional, expected, etag)
  return await target.requests.put({
    Key: target.keyOf(path),
    Body: Buffer.concat(chunks, size),
    ContentLength: size,
    // The server checks the bytes it got against this: a corruption on the way fails the PUT.
    ContentMD5: md5.toString('base64'),
    Metadata: objectMetadata(wanted.mtimeMs),
    ...conditions,
  })
}

/**
 * A large file: a multipart upload (lib-storage), under a claim (see `upload-claims.ts`).
 * The MD5 goes into `md5chksum` when the upload starts, so it must be known before: the
 * planned one, else the source is hashed first (a second read, as rclone does). The
 * checks run when the source stream ends, before the last part is sent: a failed check
 * fails the stream, and lib-storage aborts the upload instead of completing it.
 */
async function putMultipart(path: string, from: SourceFile, before: BackendEntry, wanted: WriteAttributes, expected: ExpectedState, target: UploadTarget): Promise<void> {
  const md5 = wanted.md5 ?? (await from.backend.hash(from.path)).md5
  const key = target.keyOf(path)
  const conditional = await target.conditional()
  const claim = await writeClaim(target.requests, key)
  try {
    // lib-storage keeps this object and spreads it into CompleteMultipartUpload: the
    // conditions are added to it once the ETag checked just before is known.
    const params: {Bucket: string; Key: string; Body: Transform; Metadata: Record<string, string>; IfNoneMatch?: string; IfMatch?: string} = {
      Bucket: target.requests.bucket,
      Key: key,
      Body: new Transform(),
      Metadata: objectMetadata(wanted.mtimeMs, md5),
    }
    const hash = createHash('md5')
    let size = 0
    params.Body = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk)
        size += chunk.length
        done(null, chunk)
      },
      flush(done) {
        assertCopied(path, from, before, {...wanted, md5}, size, hash.digest('hex'))
          .then(() => target.expectNow(path, expected))
          .then((etag) => {
            Object.assign(params, conditionHeaders(conditional, expected, etag))
            done()
          }, done)
      },
    })
    const source: Readable = await from.backend.openRead(from.path)
    source.on('error', (error) => params.Body.destroy(error))
    source.pipe(params.Body)
    const upload = new Upload({
      client: target.requests.client,
      params,
      partSize: Math.max(PART_SIZE, Math.ceil(wanted.size / MAX_PARTS)),
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    })
    await upload.done()
  } finally {
    await target.requests.delete(claim).catch(() => undefined)
  }
}

/** PLAN_STALE unless the source kept its identity while read and the bytes are the planned ones. */
async function assertCopied(path: string, from: SourceFile, before: BackendEntry, wanted: WriteAttributes, size: number, md5: string): Promise<void> {
  const after = await from.backend.stat(from.path)
  if (!after || after.changeToken !== before.changeToken || after.mtimeNs !== before.mtimeNs || after.size !== before.size) {
    throw new TreesyncError('PLAN_STALE', 'source file changed while it was being copied', path)
  }
  if (size !== wanted.size || (wanted.md5 !== undefined && md5 !== wanted.md5)) {
    const found = size === wanted.size ? `MD5 ${md5}, planned ${wanted.md5}` : `${size} bytes copied, ${wanted.size} planned`
    throw new TreesyncError('PLAN_STALE', `source file content changed since the plan was made (${found})`, path)
  }
}

/**
 * True when the server itself refuses a write over an object that appeared since the
 * plan (`If-None-Match: *` honoured), so the HEAD before a create can be left out: one
 * round trip per new file instead of two. A folder that appeared at the path meanwhile
 * (keys under `path/`) is not refused: the object then sits beside it, nothing is
 * overwritten, and the next plan shows what the tree has become.
 */
function serverChecksAbsence(conditional: ConditionalWrites, expected: ExpectedState): boolean {
  return expected === ABSENT && conditional.ifNoneMatch
}

/** The conditional headers for a write expecting `expected`, as far as the server honours them. */
function conditionHeaders(conditional: ConditionalWrites, expected: ExpectedState, etag: string | undefined): {IfNoneMatch?: string; IfMatch?: string} {
  if (expected === ABSENT) return conditional.ifNoneMatch ? {IfNoneMatch: '*'} : {}
  if (!conditional.ifMatch || etag === undefined) return {}
  return {IfMatch: conditional.ifMatchBare ? unquotedEtag(etag) : etag}
}
