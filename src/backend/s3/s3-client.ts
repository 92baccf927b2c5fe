import {HeadBucketCommand, S3Client} from '@aws-sdk/client-s3'

import {rootFailure, type S3Place} from './s3-errors.js'
import {endpointOf, type S3Settings} from './s3-settings.js'

/** The region when the chain names none: the one every S3-compatible server accepts. */
export const DEFAULT_REGION = 'us-east-1'

/**
 * A connection that does not open in this time is a dead endpoint. Generous for a real
 * network, yet a user waits seconds, not the OS's two minutes (the SDK retries twice).
 */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * The S3 client of a run, configured as the contract says:
 * - the endpoint from the settings or the environment; a custom endpoint is addressed
 *   path-style (`http://host/bucket/key`), since Ceph, MinIO and a server on an IP
 *   address have no per-bucket DNS names;
 * - `requestChecksumCalculation` and `responseChecksumValidation` `WHEN_REQUIRED`: since
 *   3.729 the SDK sends CRC32 checksums on every upload by default, which many
 *   S3-compatible servers reject or ignore; uploads carry Content-MD5 where treesync
 *   wants the server to check the bytes;
 * - credentials from the SDK's default chain (environment, `AWS_PROFILE` and
 *   `~/.aws/credentials`, SSO, instance roles): nothing of treesync's own;
 * - the region from the settings, else the chain (`AWS_REGION`, the profile), else
 *   `us-east-1` (custom servers ignore it, but the SDK refuses to sign without one);
 * - the SDK's retries with backoff (3 attempts, throttling included).
 */
export function createS3Client(settings: S3Settings = {}): S3Client {
  // The SDK range is pinned to releases that run on Node 20 (the README says so); its
  // multi-line warning about later releases needing Node 22 would garble every run's
  // output. A user who sets the variable keeps their choice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const endpoint = endpointOf(settings)
  return new S3Client({
    ...(endpoint === undefined ? {} : {endpoint, forcePathStyle: true}),
    // Asked for on every request: the chain is read once per client.
    region: settings.region ?? once(() => chainRegion(settings.env ?? process.env)),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {connectionTimeout: CONNECT_TIMEOUT_MS},
  })
}

/** `make`, called the first time only; its promise is shared by every later call. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  return () => (made ??= make())
}

/**
 * The region the standard chain names (environment, then profile), or the default. A
 * throwaway client reads it: its default region provider is that chain, and a missing
 * region is an error there, not a fallback.
 */
async function chainRegion(env: NodeJS.ProcessEnv): Promise<string> {
  const named = env.AWS_REGION ?? env.AWS_DEFAULT_REGION
  if (named) return named
  const probe = new S3Client({})
  try {
    return await probe.config.region()
  } catch {
    return DEFAULT_REGION
  } finally {
    probe.destroy()
  }
}

/**
 * Checks that the bucket can be reached with the credentials (a HeadBucket: one request),
 * so an unreachable root is refused before anything is planned. Throws ROOT_UNREACHABLE
 * naming the bucket and the endpoint: a dead endpoint, refused credentials, a missing
 * bucket, a bucket in another region.
 */
export async function checkBucket(client: S3Client, place: S3Place): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({Bucket: place.bucket}))
  } catch (error) {
    throw rootFailure(error, place, true) ?? error
  }
}
