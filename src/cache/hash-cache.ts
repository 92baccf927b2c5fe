import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, unlink, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {makeTempName} from '../tree/temp-name.js'
import {baseName, comparePaths, parentPath} from '../tree/paths.js'
import {chunkOf, decodeField, encodeField, isRacy, linesOf, recordLine, type HashRecord} from './cache-records.js'

export {isRacy, RACY_WINDOW_MS, type FileIdentity, type HashRecord} from './cache-records.js'

const HEADER = 'treesync-hash-cache 2'

/**
 * The persistent hash cache of one tree: a text file in the cache directory holding, per
 * directory, the records of its files (see cache-records.ts). A directory line starts
 * with `/` (names never contain one), so the file splits into per-directory chunks
 * without parsing records: each chunk goes, unparsed, to the thread that scans that
 * directory. A missing, foreign or corrupt cache only costs time: a record is used only
 * when every identity field matches, and what cannot be read is ignored with a warning.
 * The file is rewritten only when its content changes.
 */
export class HashCache {
  private chunks: Map<string, string>
  private changed = false
  /** Records remembered or forgotten after the scan, by directory then name. */
  private readonly edits = new Map<string, Map<string, string | undefined>>()

  private constructor(
    readonly file: string,
    readonly root: string,
    chunks: Map<string, string>,
    /** Why the stored cache was ignored, if it was (for a warning). */
    readonly problem: string | undefined,
  ) {
    this.chunks = chunks
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
      return new HashCache(file, root, splitChunks(text, root), undefined)
    } catch (error) {
      const cache = new HashCache(file, root, new Map(), `ignoring hash cache ${file}: ${(error as Error).message}`)
      cache.changed = true
      return cache
    }
  }

  /** The unparsed records of one directory's files ('' when there are none). */
  chunk(dir: string): string {
    return this.chunks.get(dir) ?? ''
  }

  /**
   * Replaces the records with those of a new scan: one chunk per directory scanned.
   * `changed` says whether they differ from what was loaded.
   */
  replaceChunks(chunks: Map<string, string>, changed: boolean): void {
    this.chunks = chunks
    this.changed ||= changed
  }

  /** Remembers a hash for a file identity examined (stat'ed) at `examinedNs` (wall clock). */
  remember(path: string, record: HashRecord, examinedNs: bigint): void {
    this.edit(path, isRacy(record, examinedNs) ? undefined : recordLine(baseName(path), record))
  }

  /** Forgets a path (it was removed or replaced). */
  forget(path: string): void {
    this.edit(path, undefined)
  }

  /** Writes the records atomically (temporary file + rename), if they changed. */
  async save(): Promise<void> {
    this.applyEdits()
    if (!this.changed) return
    const parts = [`${HEADER}\t${JSON.stringify(this.root)}\n`]
    for (const dir of [...this.chunks.keys()].sort(comparePaths)) {
      const chunk = this.chunks.get(dir)!
      if (chunk !== '') parts.push(`/${encodeField(dir)}\n`, chunk)
    }
    await mkdir(dirname(this.file), {recursive: true})
    const temp = join(dirname(this.file), makeTempName())
    try {
      await writeFile(temp, parts.join(''))
      await rename(temp, this.file)
      this.changed = false
    } catch (error) {
      await unlink(temp).catch(() => undefined)
      throw error
    }
  }

  private edit(path: string, line: string | undefined): void {
    const dir = parentPath(path)
    const edits = this.edits.get(dir) ?? new Map<string, string | undefined>()
    edits.set(baseName(path), line)
    this.edits.set(dir, edits)
  }

  private applyEdits(): void {
    for (const [dir, edits] of this.edits) {
      const lines = linesOf(this.chunk(dir))
      for (const [name, line] of edits) {
        if (line === undefined) lines.delete(name)
        else lines.set(name, line)
      }
      const chunk = chunkOf(lines)
      if (chunk !== this.chunk(dir)) {
        this.chunks.set(dir, chunk)
        this.changed = true
      }
    }
    this.edits.clear()
  }
}

/** Splits a cache file into its per-directory chunks, checking the header and the root. */
function splitChunks(text: string, root: string): Map<string, string> {
  const firstBreak = text.indexOf('\n')
  const [format, storedRoot] = text.slice(0, firstBreak < 0 ? text.length : firstBreak).split('\t')
  if (format !== HEADER) throw new Error('not a treesync hash cache of this version')
  if (storedRoot === undefined || JSON.parse(storedRoot) !== root) throw new Error('it belongs to another tree')
  const chunks = new Map<string, string>()
  let at = firstBreak + 1
  if (at > 0 && at < text.length && text[at] !== '/') throw new Error('records before the first directory line')
  while (at > 0 && at < text.length) {
    const lineEnd = text.indexOf('\n', at)
    if (lineEnd < 0) throw new Error('it ends in the middle of a directory line')
    const dir = decodeField(text.slice(at + 1, lineEnd))
    const next = text.indexOf('\n/', lineEnd)
    const end = next < 0 ? text.length : next + 1
    chunks.set(dir, text.slice(lineEnd + 1, end))
    at = next < 0 ? -1 : next + 1
  }
  return chunks
}
