import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, unlink, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import type {Entry} from '../tree/entry.js'
import {makeTempName} from '../tree/temp-name.js'

const HEADER = 'treesync-hash-cache 1'

/**
 * A file's identity when it was hashed. If any of these differ now, the content may have
 * changed: a rewrite moves mtime and ctime, a replacement changes the inode, and even
 * `touch -d` to restore an old mtime moves ctime.
 */
export interface FileIdentity {
  size: number
  mtimeNs: bigint
  ctimeNs: bigint
  ino: bigint
}

/** A remembered hash, with the identity it belongs to. */
export interface HashRecord extends FileIdentity {
  md5: string
}

/** What the scanner asks of a hash cache (tests pass an in-memory one). */
export interface HashStore {
  /** The MD5 remembered for this exact file identity, if any. */
  lookup(path: string, identity: FileIdentity): string | undefined
  /** Remembers a hash for a file identity examined (stat'ed) at `examinedNs` (wall clock). */
  remember(path: string, record: HashRecord, examinedNs: bigint): void
}

/**
 * A file whose mtime or ctime is this close to the moment it was examined may still be
 * written within the same timestamp tick, which would leave its timestamps unchanged:
 * such "racy" records are not trusted, so the file is hashed again next time (as git does
 * with its index). Linux timestamps advance in ticks of a few milliseconds.
 */
const RACY_WINDOW_NS = 100_000_000n

/**
 * The persistent hash cache of one tree: a line-based file (path, size, mtime, ctime,
 * inode, MD5) in the cache directory. A missing, stale, foreign or corrupt cache only
 * costs time: lookups must match every identity field, and a cache that cannot be read is
 * replaced. Only the files of the latest scan are kept, so it never grows stale entries.
 */
export class HashCache implements HashStore {
  private readonly records: Map<string, HashRecord>
  private readonly next = new Map<string, HashRecord>()

  private constructor(
    readonly file: string,
    readonly root: string,
    records: Map<string, HashRecord>,
    /** Why the stored cache was ignored, if it was (for a warning). */
    readonly problem: string | undefined,
  ) {
    this.records = records
  }

  /** The cache file for a tree root inside a cache directory. */
  static fileFor(cacheDir: string, root: string): string {
    return join(cacheDir, 'hashes', `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.tsv`)
  }

  /** Loads the cache of `root`; never throws (a bad cache loads empty, with `problem` set). */
  static async load(cacheDir: string, root: string): Promise<HashCache> {
    const file = HashCache.fileFor(cacheDir, root)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      return new HashCache(file, root, new Map(), missing ? undefined : `cannot read hash cache ${file}`)
    }
    try {
      return new HashCache(file, root, parseRecords(text, root), undefined)
    } catch (error) {
      return new HashCache(file, root, new Map(), `ignoring hash cache ${file}: ${(error as Error).message}`)
    }
  }

  lookup(path: string, identity: FileIdentity): string | undefined {
    const record = this.records.get(path)
    if (!record || !sameIdentity(record, identity)) return undefined
    return record.md5
  }

  remember(path: string, record: HashRecord, examinedNs: bigint): void {
    if (isRacy(record, examinedNs)) this.next.delete(path)
    else this.next.set(path, record)
  }

  /**
   * Remembers the hashed files of a scan that started at `scanStartNs`, so the saved cache
   * matches the tree now. Every stat of the scan came after its start, so judging raciness
   * from the start is on the safe side.
   */
  rememberEntries(entries: readonly Entry[], scanStartNs: bigint): void {
    for (const e of entries) {
      if (e.type !== 'file' || e.md5 === undefined || e.ino === undefined || e.ctimeNs === undefined || e.mtimeNs === undefined) continue
      this.remember(e.path, {size: e.size, mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, ino: e.ino, md5: e.md5}, scanStartNs)
    }
  }

  /** Forgets a path (it was removed or replaced). */
  forget(path: string): void {
    this.next.delete(path)
  }

  /** Writes what was remembered since loading, atomically (temporary file + rename). */
  async save(): Promise<void> {
    const lines = [HEADER + '\t' + JSON.stringify(this.root)]
    for (const [path, r] of this.next) {
      lines.push(`${JSON.stringify(path)}\t${r.size}\t${r.mtimeNs}\t${r.ctimeNs}\t${r.ino}\t${r.md5}`)
    }
    await mkdir(dirname(this.file), {recursive: true})
    const temp = join(dirname(this.file), makeTempName())
    try {
      await writeFile(temp, lines.join('\n') + '\n')
      await rename(temp, this.file)
    } catch (error) {
      await unlink(temp).catch(() => undefined)
      throw error
    }
  }
}

/** Examined within a timestamp tick of its last change: the timestamps cannot be trusted yet. */
export function isRacy(identity: FileIdentity, examinedNs: bigint): boolean {
  return examinedNs - identity.mtimeNs < RACY_WINDOW_NS || examinedNs - identity.ctimeNs < RACY_WINDOW_NS
}

/** How long to wait after a write before its timestamps can be trusted. */
export const RACY_WINDOW_MS = Number(RACY_WINDOW_NS / 1_000_000n)

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino
}

const MD5 = /^[0-9a-f]{32}$/
const DIGITS = /^\d+$/

function parseRecords(text: string, root: string): Map<string, HashRecord> {
  const lines = text.split('\n')
  const [format, storedRoot] = (lines[0] ?? '').split('\t')
  if (format !== HEADER) throw new Error('not a treesync hash cache of this version')
  if (storedRoot === undefined || JSON.parse(storedRoot) !== root) throw new Error('it belongs to another tree')
  const records = new Map<string, HashRecord>()
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line === '') continue
    const [path, size, mtime, ctime, ino, md5] = line.split('\t')
    if (!path || !md5 || !MD5.test(md5) || ![size, mtime, ctime, ino].every((f) => f !== undefined && DIGITS.test(f))) {
      throw new Error(`line ${i + 1} is malformed`)
    }
    records.set(JSON.parse(path) as string, {size: Number(size), mtimeNs: BigInt(mtime!), ctimeNs: BigInt(ctime!), ino: BigInt(ino!), md5})
  }
  return records
}
