import {makeTempName} from '../../tree/temp-name.js'
import {httpStatusOf, rootFailure} from './s3-errors.js'
import {unquotedEtag} from './s3-metadata.js'
import type {S3Requests} from './s3-requests.js'

/** Which conditional PUT headers a server honours (refuses a PUT whose condition fails). */
export interface ConditionalWrites {
  /** `If-None-Match: *`: a PUT refused when the key exists (AWS since 2024, Ceph Squid). */
  ifNoneMatch: boolean
  /** `If-Match: ETAG`: a PUT refused unless the object has that ETag, and let through when it has. */
  ifMatch: boolean
  /** The ETag goes in `If-Match` without its quotes: radosgw compares it with its stored, unquoted ETag, so a quoted one never matches. */
  ifMatchBare: boolean
}

/** Assume nothing: what a server is taken to honour until a probe says otherwise. */
export const NO_CONDITIONAL_WRITES: Readonly<ConditionalWrites> = Object.freeze({ifNoneMatch: false, ifMatch: false, ifMatchBare: false})

/** An ETag no object has: the MD5 of nothing is `d41d8…`, never all zeros. */
const IMPOSSIBLE_ETAG = '"00000000000000000000000000000000"'

/**
 * Finds out, by trying, whether the server honours conditional PUTs: servers that do
 * not know the headers ignore them and overwrite (older Ceph, MinIO before 2024), others
 * answer 501, and treesync must never take a condition it sent for one it got. So a
 * zero-byte probe object is written under `base` (a temporary's name: scans skip it and
 * the temporary sweep removes one left by a kill), then written again with each
 * condition that must fail; a 412 proves the header honoured. `If-Match` must also let
 * the right ETag through, quoted as HTTP says or, failing that, bare as radosgw wants it
 * (a header that refuses everything would make every replace stale). The probe is
 * removed. Five or six requests, made once per bucket and run (the caller keeps the
 * answer), and only for a root that is written to.
 *
 * Ceph honours these on PUT but ignores `If-Match` on DELETE and copies, so those are
 * never relied on: every change also checks its precondition by HEAD just before.
 */
export async function probeConditionalWrites(requests: S3Requests, base: string): Promise<ConditionalWrites> {
  const key = `${base}${makeTempName()}`
  const etag = (await requests.put({Key: key, Body: ''})) ?? ''
  try {
    const [ifNoneMatch, refusesWrong] = await Promise.all([
      refused(() => requests.put({Key: key, Body: '', IfNoneMatch: '*'})),
      refused(() => requests.put({Key: key, Body: '', IfMatch: IMPOSSIBLE_ETAG})),
    ])
    // The same empty body again: the ETag stays what it was, so each try may match it.
    const passes = async (value: string) => refusesWrong && value !== '' && !(await refused(() => requests.put({Key: key, Body: '', IfMatch: value})))
    const quoted = await passes(etag)
    const bare = !quoted && (await passes(unquotedEtag(etag)))
    return {ifNoneMatch, ifMatch: quoted || bare, ifMatchBare: bare}
  } finally {
    await requests.delete(key).catch(() => undefined)
  }
}

/**
 * True when a write that must fail its condition was refused with 412 (the header is
 * honoured); false when it succeeded (ignored) or the server refused the header itself
 * (501, 400). A root-level failure (the endpoint died) is thrown.
 */
async function refused(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write()
    return false
  } catch (error) {
    if (httpStatusOf(error) === 412) return true
    if (rootFailure(error, {bucket: '', endpoint: ''})) throw error
    return false
  }
}
