import {spawnSync} from 'node:child_process'
import {open, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {startRadosgw, type RadosgwServer} from '../test/helpers/radosgw-server.js'
import type {FileSpec} from './layout.js'
import {BenchError, runQuiet, type Command} from './measure.js'

/** The kinds of S3 request the report counts, in its column order. */
export const REQUEST_KINDS = ['LIST', 'HEAD', 'GET', 'PUT', 'multipart', 'COPY', 'DELETE', 'bucket', 'other'] as const
export type RequestKind = (typeof REQUEST_KINDS)[number]
/** Requests of one timed run by kind, and how many of them the server answered with an error status. */
export type RequestCounts = Record<RequestKind, number> & {errors: number}

/** Counts the server's requests during a timed run (see `BenchS3.begin`/`end`). */
export interface RequestCounter {
  begin(): Promise<number>
  end(mark: number): Promise<RequestCounts>
}

/** The OSD keeps objects in memory up to this: the large tree's copies, one at a time, fit. */
const MEMSTORE_BYTES = 8 * 2 ** 30
const REMOTE = 'RGW'
/** DELETE requests in flight when a prefix is emptied between runs. */
const PURGE_IN_FLIGHT = 16

/**
 * The bench's own radosgw for the S3 scenarios: the tests' fixture (a single-node Ceph
 * cluster, memstore OSD, radosgw's beast frontend on 127.0.0.1, fixed keys), started
 * privately for this bench run with radosgw's ops log written to a file, which is how
 * requests are counted: one JSON record per request served (operation, method and URI,
 * status, user agent), written by radosgw once the request is done. Not to RADOS
 * (`rgw_ops_log_rados = false`), so logging costs the server no object writes. treesync
 * and rclone reach the same bucket, each under its own prefixes. Started once per bench
 * run, only when a selected scenario needs it, and stopped at the end, also after a
 * failure or on SIGINT/SIGTERM.
 */
export class BenchS3 implements RequestCounter {
  private server: (RadosgwServer & {pids(): number[]}) | undefined
  private logDir: string | undefined
  private stopping: Promise<void> | undefined
  private markers = 0
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    void this.stop().finally(() => process.kill(process.pid, signal))
  }

  bucket = ''
  /** Seconds the cluster took to start. */
  startSeconds: number | undefined

  async start(log: (line: string) => void): Promise<void> {
    if (this.server) return
    const started = process.hrtime.bigint()
    this.logDir = await mkdtemp(join(tmpdir(), 'treesync-bench-s3-'))
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
    try {
      this.server = await startRadosgw({
        memstoreBytes: MEMSTORE_BYTES,
        rgw: {
          rgw_enable_ops_log: 'true',
          rgw_ops_log_rados: 'false',
          rgw_ops_log_file_path: this.opsLog(),
          // Deleted objects' tail (everything past the first 4 MiB, and multipart parts) goes
          // to garbage collection: collected by `collectGarbage` between runs, not hours later.
          rgw_gc_obj_min_wait: '0',
        },
      })
      this.bucket = await this.server.createBucket('bench')
    } catch (error) {
      await this.stop()
      throw new BenchError(`cannot start the bench's radosgw: ${(error as Error).message}`)
    }
    this.startSeconds = Number(process.hrtime.bigint() - started) / 1e9
    log(`radosgw on ${this.server.endpoint} for the S3 scenarios (bucket ${this.bucket}), started in ${this.startSeconds.toFixed(1)} s`)
  }

  /** Stops the cluster and removes its directory and the ops log; safe to call when not started, or again. */
  async stop(): Promise<void> {
    const server = this.server
    const logDir = this.logDir
    this.server = undefined
    this.logDir = undefined
    process.removeListener('SIGINT', this.onSignal)
    process.removeListener('SIGTERM', this.onSignal)
    if (server || logDir) {
      this.stopping = Promise.all([server?.stop(), logDir && rm(logDir, {recursive: true, force: true})]).then(() => undefined)
    }
    await this.stopping
  }

  get endpoint(): string {
    return this.running().endpoint
  }

  /** `s3://BUCKET/PREFIX`. */
  url(prefix: string): string {
    return `s3://${this.bucket}/${prefix}`
  }

  /** A treesync command with the endpoint and the fixture's keys. */
  treesync(command: Command): Command {
    return {...command, argv: [...command.argv, '--s3-endpoint', this.endpoint], env: this.env({AWS_ACCESS_KEY_ID: this.running().accessKey, AWS_SECRET_ACCESS_KEY: this.running().secretKey})}
  }

  /** `rclone ARGS…` configured by environment only (remote `rgw:`), never a config file. */
  rclone(args: string[]): Command {
    const server = this.running()
    return {
      argv: ['rclone', ...args],
      env: this.env({
        [`RCLONE_CONFIG_${REMOTE}_TYPE`]: 's3',
        [`RCLONE_CONFIG_${REMOTE}_PROVIDER`]: 'Ceph',
        [`RCLONE_CONFIG_${REMOTE}_ENDPOINT`]: server.endpoint,
        [`RCLONE_CONFIG_${REMOTE}_ACCESS_KEY_ID`]: server.accessKey,
        [`RCLONE_CONFIG_${REMOTE}_SECRET_ACCESS_KEY`]: server.secretKey,
        [`RCLONE_CONFIG_${REMOTE}_FORCE_PATH_STYLE`]: 'true',
        // No ~/.config/rclone/rclone.conf: the notice saying so would be all of stderr.
        RCLONE_CONFIG: '/dev/null',
      }),
    }
  }

  /** rclone's name for a prefix of the bench's bucket. */
  remote(prefix: string): string {
    return `${REMOTE.toLowerCase()}:${this.bucket}/${prefix}`
  }

  /**
   * Deletes every key under a prefix (untimed), treesync's folder markers (`dir/`) too,
   * which `rclone delete` and `rclone purge` leave, then collects the garbage the deletes
   * leave in the store (the tails of objects over 4 MiB, multipart parts).
   */
  async purge(prefix: string): Promise<void> {
    const server = this.running()
    for (;;) {
      // Each round lists from the start: what the previous round deleted is gone.
      const listing = await server.request({method: 'GET', bucket: this.bucket, query: {'list-type': '2', prefix: `${prefix}/`}})
      if (listing.status !== 200) throw new BenchError(`listing ${this.url(prefix)} to empty it answered ${listing.status}: ${listing.text}`)
      const keys = [...listing.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => unescapeXml(match[1]))
      if (keys.length === 0) break
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < keys.length) {
          const key = keys[next++]
          const response = await server.request({method: 'DELETE', bucket: this.bucket, key})
          if (response.status !== 204 && response.status !== 404) throw new BenchError(`deleting ${this.url(key)} answered ${response.status}: ${response.text}`)
        }
      }
      await Promise.all(Array.from({length: PURGE_IN_FLIGHT}, worker))
    }
    await runQuiet(['radosgw-admin', '-c', join(server.dir, 'ceph.conf'), 'gc', 'process', '--include-all'])
  }

  /**
   * Checks that `prefix` holds these files with their size and mtime (rclone's `mtime`
   * metadata, which treesync writes too), by HEAD: a tool that exits 0 without doing the
   * work would otherwise look fast.
   */
  async verify(prefix: string, files: FileSpec[], tool: string): Promise<void> {
    const server = this.running()
    for (const file of files) {
      const key = `${prefix}/${file.path}`
      const response = await server.request({method: 'HEAD', bucket: this.bucket, key})
      const size = Number(response.headers.get('content-length'))
      const mtime = Number(response.headers.get('x-amz-meta-mtime'))
      if (response.status !== 200 || size !== file.size || Math.floor(mtime) !== file.mtime) {
        throw new BenchError(
          `${tool} exited 0 but ${this.url(key)} is ${response.status === 200 ? `${size} B, mtime ${mtime}` : `missing (${response.status})`}; expected ${file.size} B, mtime ${file.mtime}`,
        )
      }
    }
  }

  /** Where the ops log is read from now: its length in bytes, once every earlier request is in it. */
  async begin(): Promise<number> {
    return (await this.flushed()).end
  }

  /** The requests logged since `mark` (the marker requests left out), once every request sent by now is in the log. */
  async end(mark: number): Promise<RequestCounts> {
    const {records} = await this.flushed(mark)
    const counts = Object.fromEntries([...REQUEST_KINDS, 'errors'].map((kind) => [kind, 0])) as RequestCounts
    for (const record of records) {
      if (isMarker(record)) continue
      counts[kindOf(record)]++
      if (!/^2\d\d$/.test(String(record.http_status))) counts.errors++
    }
    return counts
  }

  /**
   * The log's records from `from` on, once radosgw has written every request sent before
   * this call: it logs a request when done, and writes its log in order, so a request of
   * our own (a HEAD of a marker key, which is answered 404) seen in the log means the
   * earlier ones are there too.
   */
  private async flushed(from = 0): Promise<{records: OpsRecord[]; end: number}> {
    const key = `.bench-marker/${process.pid}-${++this.markers}`
    await this.running().request({method: 'HEAD', bucket: this.bucket, key})
    const deadline = Date.now() + 30_000
    for (;;) {
      const {records, end} = await readRecords(this.opsLog(), from)
      if (records.some((record) => isMarker(record) && record.uri.includes(key))) return {records, end}
      if (Date.now() > deadline) throw new BenchError(`radosgw's ops log ${this.opsLog()} did not show the marker request ${key} within 30 s`)
      await sleep(50)
    }
  }

  private opsLog(): string {
    if (!this.logDir) throw new BenchError('the S3 scenarios need the bench\'s radosgw, which is not started')
    return join(this.logDir, 'ops.log')
  }

  /** The bench's environment with these variables; without AWS_CA_BUNDLE, which rclone's SDK refuses for its HTTP transport (the endpoint is plain http). */
  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {...process.env, ...extra}
    delete env.AWS_CA_BUNDLE
    return env
  }

  private running(): RadosgwServer {
    if (!this.server) throw new BenchError('the S3 scenarios need the bench\'s radosgw, which is not started')
    return this.server
  }
}

/** One record of radosgw's ops log (the fields read here). */
interface OpsRecord {
  operation: string
  /** `METHOD /bucket/key?query HTTP/1.1`. */
  uri: string
  http_status: string
  user_agent: string
}

function isMarker(record: OpsRecord): boolean {
  return record.uri.includes('/.bench-marker/')
}

/** The request kind of a record, by radosgw's operation name and the HTTP method. */
function kindOf(record: OpsRecord): RequestKind {
  const [method, target = ''] = record.uri.split(' ')
  switch (record.operation) {
    case 'list_bucket':
    case 'list_buckets':
      return 'LIST'
    case 'get_obj':
      return method === 'HEAD' ? 'HEAD' : 'GET'
    case 'put_obj':
      return /[?&]uploadId=/.test(target) ? 'multipart' : 'PUT'
    case 'init_multipart':
    case 'complete_multipart':
    case 'abort_multipart':
    case 'list_multipart':
    case 'list_bucket_multiparts':
      return 'multipart'
    case 'copy_obj':
      return 'COPY'
    case 'delete_obj':
    case 'multi_object_delete':
      return 'DELETE'
    case 'stat_bucket':
    case 'create_bucket':
    case 'get_bucket_location':
    case 'get_bucket_versioning':
      return 'bucket'
    default:
      return 'other'
  }
}

/**
 * The records in the log from byte `from`, and where the last complete one ends. radosgw
 * writes JSON objects one after the other, mostly one a line but not always (a flush can
 * join two), so they are split by brace depth outside strings, not by line.
 */
async function readRecords(path: string, from: number): Promise<{records: OpsRecord[]; end: number}> {
  const handle = await open(path, 'r')
  let text: string
  try {
    const {size} = await handle.stat()
    const buffer = Buffer.alloc(Math.max(0, size - from))
    await handle.read(buffer, 0, buffer.length, from)
    text = buffer.toString('latin1')
  } finally {
    await handle.close()
  }
  const records: OpsRecord[] = []
  let depth = 0
  let inString = false
  let start = -1
  let end = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '{') {
      if (depth++ === 0) start = i
    } else if (c === '}' && --depth === 0) {
      records.push(JSON.parse(text.slice(start, i + 1)) as OpsRecord)
      end = i + 1
    }
  }
  return {records, end: from + end}
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({lt: '<', gt: '>', quot: '"', apos: "'", amp: '&'})[name]!)
}

/** The report's line on how the S3 scenarios were run. */
export function describeS3(s3: BenchS3): string {
  const ceph = spawnSync('ceph', ['--version'], {encoding: 'utf8'}).stdout.trim().replace(/ \([0-9a-f]+\)/, '') || 'ceph version unknown'
  const rclone = spawnSync('rclone', ['version'], {encoding: 'utf8'}).stdout.split('\n')[0]?.trim() || 'rclone version unknown'
  const started = s3.startSeconds === undefined ? '' : `, started in ${s3.startSeconds.toFixed(1)} s`
  return (
    `one bucket on the bench's own radosgw on 127.0.0.1 (${ceph}; the tests' fixture: one mon, one memstore OSD holding objects in RAM, beast frontend, 16 threads${started}); ` +
    `treesync reaches it as \`s3://BUCKET/PREFIX --s3-endpoint http://127.0.0.1:PORT\` with the keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ` +
    `${rclone} as \`rgw:BUCKET/PREFIX\` configured by RCLONE_CONFIG_RGW_* (type s3, provider Ceph, path style); ` +
    'requests counted from radosgw\'s ops log (one record per request served: operation, method, status), between a marker request before and one after each timed run'
  )
}
