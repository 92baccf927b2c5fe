import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {makeTempName} from '../../tree/temp-name.js'
import {parseChangeToken, type ObjectMetadata, type S3MetadataCache} from './s3-entry.js'

/** Bumped when the record layout changes: an older file is then ignored, not misread. */
const FORMAT = 2
/**
 * A record whose object was last modified this recently is not saved: a change token
 * holds LastModified in whole seconds, so a metadata change in the same second as the
 * HEAD that read it would keep the token (`changeTokenOf`). Two seconds also cover a
 * server clock a little ahead of ours.
 */
const RACY_SECONDS = 2

/** The file that keeps one S3 root's metadata records, under the cache directory. */
export function metadataCacheFile(cacheDir: string, endpoint: string, root: string): string {
  const digest = createHash('sha256').update(`${endpoint}\n${root}`).digest('hex').slice(0, 32)
  return join(cacheDir, 's3-metadata', `${digest}.json`)
}

/**
 * The metadata cache of one S3 root kept across runs: what HEADs found (mtime, MD5) by
 * change token, so a plan of an unchanged tree lists and makes no HEAD, run after run.
 * Only records used or made in this run are saved (a deleted object's record goes with
 * it), and none whose object changed in the last seconds (see `RACY_SECONDS`). A file
 * that cannot be read is an empty cache: it is only ever a saving.
 */
export class FileMetadataCache implements S3MetadataCache {
  private readonly used = new Map<string, ObjectMetadata>()

  private constructor(
    private readonly file: string,
    private readonly stored: Map<string, ObjectMetadata>,
  ) {}

  static async open(file: string): Promise<FileMetadataCache> {
    return new FileMetadataCache(file, await readRecords(file))
  }

  get(record: string): ObjectMetadata | undefined {
    const found = this.used.get(record) ?? this.stored.get(record)
    if (found) this.used.set(record, found)
    return found
  }

  set(record: string, metadata: ObjectMetadata): void {
    this.used.set(record, metadata)
  }

  /** Writes the run's records (atomically: a temporary, then a rename). */
  async save(nowMs = Date.now()): Promise<void> {
    const newest = Math.floor(nowMs / 1000) - RACY_SECONDS
    const records: Record<string, [string, string | null]> = {}
    for (const [token, metadata] of this.used) {
      if (lastModifiedSecondsOf(token) > newest) continue
      records[token] = [metadata.mtimeNs.toString(), metadata.md5 ?? null]
    }
    const dir = join(this.file, '..')
    await mkdir(dir, {recursive: true})
    const temp = join(dir, makeTempName())
    await writeFile(temp, JSON.stringify({format: FORMAT, records}))
    await rename(temp, this.file)
  }
}

/** The LastModified seconds of a record key (a change token, then the object's key: `recordKey`); Infinity when it has none. */
function lastModifiedSecondsOf(record: string): number {
  return parseChangeToken(record)?.seconds ?? Number.POSITIVE_INFINITY
}

async function readRecords(file: string): Promise<Map<string, ObjectMetadata>> {
  const records = new Map<string, ObjectMetadata>()
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as {format?: unknown; records?: Record<string, unknown>}
    if (parsed.format !== FORMAT || typeof parsed.records !== 'object' || parsed.records === null) return records
    for (const [token, value] of Object.entries(parsed.records)) {
      if (!Array.isArray(value) || typeof value[0] !== 'string' || !/^-?[0-9]+$/.test(value[0])) continue
      const md5 = typeof value[1] === 'string' && /^[0-9a-f]{32}$/.test(value[1]) ? value[1] : undefined
      records.set(token, md5 === undefined ? {mtimeNs: BigInt(value[0])} : {mtimeNs: BigInt(value[0]), md5})
    }
  } catch {
    // Missing or unreadable: start empty.
  }
  return records
}
