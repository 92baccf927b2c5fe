import {TreesyncError} from '../../errors.js'

/**
 * How S3 roots are reached, and how the endpoint is named: apart from the client (which
 * loads the AWS SDK) so that a run with no S3 root never loads it.
 */

/** How S3 roots are reached: the command line's `--s3-endpoint`, and the environment. */
export interface S3Settings {
  /** `--s3-endpoint URL`; else `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL` from the environment. */
  endpoint?: string
  /** Overrides the region the AWS chain finds (tests); else `AWS_REGION`, the profile's, or `us-east-1`. */
  region?: string
  /** The environment to read (tests pass their own); `process.env` by default. */
  env?: NodeJS.ProcessEnv
}

/**
 * The endpoint a run uses, or undefined for AWS itself (the SDK then picks it by region).
 * Throws BAD_INPUT, naming it, when it is not an http:// or https:// URL.
 */
export function endpointOf(settings: S3Settings): string | undefined {
  const env = settings.env ?? process.env
  // An empty variable is unset, as the SDK takes it (it then uses the next one).
  const endpoint = settings.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL)
  if (endpoint === undefined || endpoint === '') return undefined
  let protocol: string | undefined
  try {
    protocol = new URL(endpoint).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TreesyncError('BAD_INPUT', `the S3 endpoint ${JSON.stringify(endpoint)} is not an http:// or https:// URL`)
  }
  return endpoint
}

/** How the endpoint is named in messages: the URL, or `AWS S3` for the default. */
export function endpointLabel(settings: S3Settings): string {
  return endpointOf(settings) ?? 'AWS S3'
}
