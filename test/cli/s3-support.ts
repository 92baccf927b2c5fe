import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {createServer, request as httpRequest, Agent, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {TestContext} from 'node:test'

import {hasStackTrace} from '../helpers/cli.js'
import type {RadosgwServer} from '../helpers/radosgw-server.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'

/**
 * What the S3 CLI tests share: the environment that points the binary at the fixture's
 * user, a view of a prefix read with raw signed requests (never through treesync), and a
 * counting proxy that says which requests treesync sent.
 */

/** Credentials from the environment only: no profile, no file, no instance metadata. */
export function s3Env(s: RadosgwServer, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: s.accessKey,
    AWS_SECRET_ACCESS_KEY: s.secretKey,
    // Unset (spawn leaves out undefined values): the endpoint comes from --s3-endpoint unless a test sets one.
    AWS_ENDPOINT_URL: undefined,
    AWS_ENDPOINT_URL_S3: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...overrides,
  }
}

/** One entry of a tree as a mirror must reproduce it on S3: no modes, no directory mtimes. */
export interface TreeEntry {
  path: string
  type: 'file' | 'dir'
  md5?: string
  mtimeMs?: number
}

/** A local tree as S3 can hold it: symlinks left out, no modes, directories without mtimes. */
export async function localTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = []
  for (const e of await snapshotTree(root)) {
    if (e.type === 'file') out.push({path: e.path, type: 'file', md5: e.md5!, mtimeMs: e.mtimeMs!})
    else if (e.type === 'dir') out.push({path: e.path, type: 'dir'})
  }
  return out
}

/** Every key under `prefix` (`''`: the whole bucket), by ListObjectsV2 without a delimiter. */
export async function listKeys(s: RadosgwServer, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const query: Record<string, string> = {'list-type': '2', prefix}
    if (token) query['continuation-token'] = token
    const r = await s.request({method: 'GET', bucket, query})
    assert.equal(r.status, 200, r.text)
    keys.push(...xmlValues(r.text, 'Key'))
    token = xmlValues(r.text, 'NextContinuationToken')[0]
  } while (token)
  return keys
}

/** The incomplete multipart uploads of a bucket (ListMultipartUploads): their keys and ids. */
export async function pendingUploads(s: RadosgwServer, bucket: string): Promise<Array<{key: string; uploadId: string}>> {
  const r = await s.request({method: 'GET', bucket, query: {uploads: ''}})
  assert.equal(r.status, 200, r.text)
  return [...r.text.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)].map(([, upload]) => ({key: xmlValues(upload!, 'Key')[0]!, uploadId: xmlValues(upload!, 'UploadId')[0]!}))
}

/** The tree under `prefix` as the objects say (GET each file, its `mtime` metadata), read with raw requests. */
export async function s3Tree(s: RadosgwServer, bucket: string, prefix: string): Promise<TreeEntry[]> {
  const base = prefix === '' ? '' : `${prefix}/`
  const entries = new Map<string, TreeEntry>()
  const addDirs = (path: string): void => {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) entries.set(parts.slice(0, i).join('/'), {path: parts.slice(0, i).join('/'), type: 'dir'})
  }
  for (const key of await listKeys(s, bucket, base)) {
    const path = key.slice(base.length)
    if (path === '') continue
    if (path.endsWith('/')) {
      addDirs(path)
      continue
    }
    addDirs(path)
    const r = await s.request({method: 'GET', bucket, key})
    assert.equal(r.status, 200, `GET ${key}: ${r.text}`)
    const mtime = r.headers.get('x-amz-meta-mtime')
    assert.ok(mtime, `${key} has no mtime metadata`)
    entries.set(path, {path, type: 'file', md5: md5(r.body), mtimeMs: mtimeMsOf(mtime)})
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Asserts that the objects under `prefix` are an exact mirror of the local tree `root`: bytes, mtimes to the ms, every folder. */
export async function assertS3Mirror(s: RadosgwServer, bucket: string, prefix: string, root: string): Promise<void> {
  assert.deepEqual(await s3Tree(s, bucket, prefix), await localTree(root))
}

/** `mtime` metadata (`1704164645.678000000`, rclone's and treesync's) in whole milliseconds, exactly (no float). */
export function mtimeMsOf(value: string): number {
  const match = /^(-?\d+)(?:\.(\d+))?$/.exec(value)
  assert.ok(match, `not an mtime: ${value}`)
  return Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0').slice(0, 3))
}

/** A raw PUT of an object, with `mtime` metadata when given (as rclone or another writer would). */
export async function putObject(s: RadosgwServer, bucket: string, key: string, body: string | Buffer, mtimeMs?: number): Promise<void> {
  const headers: Record<string, string> = mtimeMs === undefined ? {} : {'x-amz-meta-mtime': (mtimeMs / 1000).toFixed(3)}
  const r = await s.request({method: 'PUT', bucket, key, body, headers})
  assert.equal(r.status, 200, r.text)
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex')
}

/** Asserts a refusal: exit 1, one line on stderr matching `message`, no stack trace. */
export function assertRefused(result: {code: number | null; stdout?: string; stderr: string}, message: RegExp): void {
  assert.equal(result.code, 1, result.stdout + result.stderr)
  assert.ok(!hasStackTrace(result.stderr), result.stderr)
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0]!, message)
}

function xmlValues(xml: string, tag: string): string[] {
  const entities: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map(([, v]) => v!.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => entities[e]!))
}

/** One request that went through a `CountingProxy`. */
export interface SeenRequest {
  method: string
  bucket: string
  /** The object key, or `''` for a request on the bucket. */
  key: string
  query: URLSearchParams
  /** A server-side copy (`x-amz-copy-source`): a metadata change, no data sent. */
  copy: boolean
}

/**
 * An HTTP proxy in front of radosgw that records every request (method, bucket, key) and
 * every connection opened to it. The Host header is passed on unchanged, so the
 * signatures the client made for the proxy's address still hold.
 */
export interface CountingProxy {
  endpoint: string
  readonly requests: SeenRequest[]
  /** TCP connections accepted so far. */
  readonly connections: number
}

export async function countingProxy(t: TestContext, target: string): Promise<CountingProxy> {
  const upstream = new URL(target)
  const agent = new Agent({keepAlive: true})
  const requests: SeenRequest[] = []
  let connections = 0
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    const [, bucket = '', ...key] = url.pathname.split('/').map((part) => decodeURIComponent(part))
    requests.push({method: req.method ?? '?', bucket, key: key.join('/'), query: url.searchParams, copy: req.headers['x-amz-copy-source'] !== undefined})
    const forward = httpRequest(
      {host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers as IncomingHttpHeaders, agent},
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  server.on('connection', () => connections++)
  // Idle keep-alive connections are not closed under the client during a test (5 s by default).
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    agent.destroy()
  })
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get connections() {
      return connections
    },
  }
}
