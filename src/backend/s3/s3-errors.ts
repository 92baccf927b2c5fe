import {TreesyncError} from '../../errors.js'

/** Where a request went, for messages: `bucket "b" at http://127.0.0.1:7480`. */
export interface S3Place {
  bucket: string
  /** The endpoint as configured, or a description of the default (`AWS S3 (us-east-1)`). */
  endpoint: string
}

/** Node socket errors that mean the endpoint cannot be reached at all. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED'])
/** How the common network failures are said. */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
}
/** S3 error names that mean the credentials are wrong, whatever the request. */
const CREDENTIAL_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired'])

interface SdkError {
  name?: string
  code?: string
  message?: string
  $metadata?: {httpStatusCode?: number}
  cause?: unknown
}

/** The SDK's own error under one `s3Failure` wrapped (its `cause`), or the error itself. */
function sdkErrorOf(error: unknown): SdkError | undefined {
  const e = error as SdkError | undefined
  const cause = e?.cause as SdkError | undefined
  return e?.$metadata === undefined && cause?.$metadata !== undefined ? cause : e
}

/** The HTTP status of an SDK failure (or of one `s3Failure` wrapped), when the server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  return sdkErrorOf(error)?.$metadata?.httpStatusCode
}

/** True when the server said nothing is at the key (HEAD's bare 404, GET's NoSuchKey). */
export function isNotFound(error: unknown): boolean {
  const name = sdkErrorOf(error)?.name
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatusOf(error) === 404 && name !== 'NoSuchBucket')
}

/** True when a conditional request was refused: the object is not what the condition said (412), or another write raced (409). */
export function isPreconditionFailed(error: unknown): boolean {
  const status = httpStatusOf(error)
  return status === 412 || (status === 409 && sdkErrorOf(error)?.name === 'ConditionalRequestConflict')
}

/** The socket error code under an SDK failure, if it is a network failure. */
function networkCode(error: unknown): string | undefined {
  for (let e = error as SdkError | undefined, depth = 0; e && depth < 4; e = e.cause as SdkError | undefined, depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code
    if (e.name === 'TimeoutError') return 'timed out'
  }
  return undefined
}

/**
 * The one-line error a user reads when the root itself is out of reach, or undefined when
 * the failure is about one request only (a missing key, a refused condition): a dead
 * endpoint, bad credentials and a missing bucket are ROOT_UNREACHABLE, naming the bucket
 * and the endpoint. `openCheck`: the failure is the bucket check made when the root is
 * opened, where any 403 means the credentials cannot reach the bucket (later, a 403 may
 * be about one object and is left to the caller).
 */
export function rootFailure(error: unknown, place: S3Place, openCheck = false): TreesyncError | undefined {
  if (error instanceof TreesyncError) return error.code === 'ROOT_UNREACHABLE' ? error : undefined
  const where = `bucket ${place.bucket} at ${place.endpoint}`
  const network = networkCode(error)
  if (network) return new TreesyncError('ROOT_UNREACHABLE', `${where}: cannot reach the endpoint (${NETWORK_WORDS[network] ?? network})`)
  const {name = ''} = (error ?? {}) as SdkError
  if (name === 'CredentialsProviderError') {
    return new TreesyncError('ROOT_UNREACHABLE', `${where}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials)`)
  }
  const status = httpStatusOf(error)
  if (name === 'NoSuchBucket' || (openCheck && status === 404)) return new TreesyncError('ROOT_UNREACHABLE', `${where}: no such bucket`)
  if (CREDENTIAL_NAMES.has(name)) return new TreesyncError('ROOT_UNREACHABLE', `${where}: the credentials were refused (${name})`)
  if (openCheck && status === 403) return new TreesyncError('ROOT_UNREACHABLE', `${where}: access denied (check the credentials and the bucket's policy)`)
  if (openCheck && status === 301) return new TreesyncError('ROOT_UNREACHABLE', `${where}: the bucket is in another region (set AWS_REGION)`)
  if (openCheck && status === undefined) {
    // No answer and no socket code: the credential chain or the endpoint URL failed before sending.
    return new TreesyncError('ROOT_UNREACHABLE', `${where}: ${oneLine(error)}`)
  }
  return undefined
}

/**
 * What to throw for a failed request on `path`: the root's failure when it is one (see
 * `rootFailure`), else an error naming the key, one line, with the S3 error name.
 */
export function s3Failure(error: unknown, place: S3Place, key: string): Error {
  const root = rootFailure(error, place)
  if (root) return root
  if (error instanceof TreesyncError) return error
  const status = httpStatusOf(error)
  const code = status === 403 ? 'EACCES' : isNotFound(error) ? 'ENOENT' : undefined
  // Worded as a local failure is (`describeFsError`), the server's own words otherwise.
  const words = code === 'ENOENT' ? 'no such object' : code === 'EACCES' ? 'access denied' : oneLine(error)
  const failure = new Error(`${words}: s3://${place.bucket}/${key}`)
  return Object.assign(failure, {code, path: key, cause: error})
}

/** An SDK error's name and message on one line (the SDK's can span several, or be empty). */
function oneLine(error: unknown): string {
  const {name, message} = (error ?? {}) as SdkError
  const text = (message ?? String(error)).split('\n')[0]!.trim()
  if (!name || name === 'Error' || text.includes(name)) return text || 'request failed'
  return text && text !== 'UnknownError' ? `${name}: ${text}` : name
}

/** Runs one backend operation on `path`; a root out of reach is reported with that path (relative to the root). */
export async function withRootPath<T>(path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (error instanceof TreesyncError && error.code === 'ROOT_UNREACHABLE' && error.path === undefined) {
      throw new TreesyncError('ROOT_UNREACHABLE', `${path || '.'}: ${error.message}`, path)
    }
    throw error
  }
}
