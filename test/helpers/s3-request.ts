import {createHash, createHmac} from 'node:crypto'

/**
 * Just enough S3 client for the tests that check the radosgw fixture: one request signed
 * with AWS Signature Version 4 (node:crypto and fetch, no SDK), path-style addressing.
 * Not the S3 backend's client: a test helper that says exactly what goes on the wire.
 */
export interface S3Credentials {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly endpoint: string
  readonly accessKey: string
  readonly secretKey: string
  readonly region: string
}

export interface S3RequestOptions {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST'
  bucket?: string
  /** The object key, unencoded (`a/b c.txt`). */
  key?: string
  /** Query parameters (`{'list-type': '2', prefix: 'a/'}`); an empty value for flags (`{uploads: ''}`). */
  query?: Record<string, string>
  /** More headers to send and sign (`If-None-Match`, `x-amz-copy-source`, …). */
  headers?: Record<string, string>
  body?: Buffer | string
}

export interface S3Response {
  readonly status: number
  readonly headers: Headers
  readonly body: Buffer
  readonly text: string
}

/** Sends one SigV4-signed request and reads the whole answer. */
export async function s3Request(credentials: S3Credentials, options: S3RequestOptions): Promise<S3Response> {
  const url = new URL(credentials.endpoint)
  const path = '/' + [options.bucket, options.key].filter((part) => part !== undefined).join('/')
  const canonicalUri = path.split('/').map(uriEncode).join('/')
  const query = Object.entries(options.query ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const canonicalQuery = query.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join('&')
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body)
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = now.slice(0, 8)
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': now,
    'x-amz-content-sha256': sha256(body),
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value.trim()
  const names = Object.keys(headers).sort()
  const canonicalRequest = [
    options.method,
    canonicalUri,
    canonicalQuery,
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    names.join(';'),
    headers['x-amz-content-sha256'],
  ].join('\n')
  const scope = `${date}/${credentials.region}/s3/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonicalRequest)].join('\n')
  let key: Buffer = hmac(`AWS4${credentials.secretKey}`, date)
  for (const part of [credentials.region, 's3', 'aws4_request']) key = hmac(key, part)
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`
  delete headers.host // fetch sets it, to the same value
  const response = await fetch(`${credentials.endpoint}${canonicalUri}${canonicalQuery ? `?${canonicalQuery}` : ''}`, {
    method: options.method,
    headers,
    ...(body.length > 0 || options.method === 'PUT' || options.method === 'POST' ? {body} : {}),
  })
  const answer = Buffer.from(await response.arrayBuffer())
  return {status: response.status, headers: response.headers, body: answer, text: answer.toString('utf8')}
}

/** RFC 3986 percent-encoding, as SigV4 wants it (`encodeURIComponent` leaves `!'()*` alone). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}
