import {isTempName, makeTempName} from '../../tree/temp-name.js'
import type {PendingUpload, S3Requests} from './s3-requests.js'

/**
 * Multipart uploads left behind by a kill, and how treesync recognises its own.
 *
 * An incomplete upload is invisible under its key (nothing partial is ever readable), but
 * its parts cost storage until aborted. ListMultipartUploads tells only a key, an upload
 * id and when it began, not the metadata the upload was started with, so a treesync
 * upload cannot be told from rclone's by looking at it. Before each multipart upload
 * treesync therefore writes a zero-byte claim object beside the final key, with a
 * temporary's name (`dir/.treesync-<hex>.tmp`) and the final key in its metadata, and
 * removes it once the upload is complete or aborted. A claim left behind names a key, and
 * the server's clock (the claim's LastModified) says when the upload began: the
 * incomplete uploads of that key begun then are treesync's.
 *
 * Scans skip temporary names and collect them; the temporary sweep of the next apply
 * removes each through `Backend.remove`, which for a claim aborts its uploads first
 * (`abortClaimedUploads`). `abortAbandonedUploads` finds them from the uploads' side.
 */

/** Claim metadata: the final key, URI-encoded (metadata values travel as ASCII headers). */
const CLAIM_KEY = 'treesync-upload-key'
/**
 * Uploads begun this long before a claim's LastModified, or this long after, are not its
 * own: the claim is written right before CreateMultipartUpload, and LastModified has
 * whole-second precision on some servers.
 */
const BEFORE_MS = 2_000
const AFTER_MS = 60_000

/** The directory prefix of a key: everything up to and including its last `/`. */
function dirOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1)
}

/** Writes a claim for a multipart upload to `finalKey`; returns the claim's key (remove it when done). */
export async function writeClaim(requests: S3Requests, finalKey: string): Promise<string> {
  const claim = `${dirOf(finalKey)}${makeTempName()}`
  await requests.put({Key: claim, Body: '', Metadata: {[CLAIM_KEY]: encodeURIComponent(finalKey)}})
  return claim
}

/**
 * Aborts the incomplete uploads a claim names, then removes the claim; returns how many
 * were aborted. A key with a temporary's name but no claim metadata (a probe left by a
 * kill, say) is only removed.
 */
export async function abortClaimedUploads(requests: S3Requests, claimKey: string, pending?: readonly PendingUpload[]): Promise<number> {
  const head = await requests.head(claimKey)
  if (!head) return 0
  let aborted = 0
  const finalKey = decodedKey(head.metadata[CLAIM_KEY])
  if (finalKey !== undefined) {
    const since = head.lastModified.getTime() - BEFORE_MS
    const until = head.lastModified.getTime() + AFTER_MS
    for (const upload of pending ?? (await requests.pendingUploads(finalKey))) {
      const at = upload.initiated.getTime()
      if (upload.key !== finalKey || at < since || at > until) continue
      await requests.abortUpload(upload)
      aborted++
    }
  }
  await requests.delete(claimKey)
  return aborted
}

/**
 * Aborts treesync's own incomplete multipart uploads under `base` (a root's key prefix),
 * as the next apply does after a kill; returns how many. One request when there are none
 * (the common case); else one listing of claims per directory that has uploads, and a
 * HEAD per claim. Uploads without a claim (another tool's, or one whose claim was lost)
 * are left alone: a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the net for
 * those.
 */
export async function abortAbandonedUploads(requests: S3Requests, base: string): Promise<number> {
  const pending = await requests.pendingUploads(base)
  if (pending.length === 0) return 0
  let aborted = 0
  for (const dir of new Set(pending.map((u) => dirOf(u.key)))) {
    const {objects} = await requests.listDirectory(`${dir}.treesync-`)
    for (const claim of objects) {
      if (!isTempName(claim.key.slice(dir.length))) continue
      aborted += await abortClaimedUploads(requests, claim.key, pending)
    }
  }
  return aborted
}

/** A claim's final key, or undefined when the metadata holds none (or not one treesync wrote). */
function decodedKey(encoded: string | undefined): string | undefined {
  try {
    return encoded === undefined ? undefined : decodeURIComponent(encoded)
  } catch {
    return undefined
  }
}
