import {comparePaths} from '../tree/paths.js'

/**
 * The text form of hash-cache records, shared by the cache file and the scanner threads.
 * A cache holds one chunk per directory: the records of its files, one line each,
 * `name TAB size TAB mtimeNs TAB ctimeNs TAB inode TAB md5`, sorted by name. Names are
 * written as they are unless a tab, newline, backslash or quote forces JSON quoting.
 */

/** A file's identity when it was hashed; if any field differs now, its content may have changed. */
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

/**
 * A file whose mtime or ctime is this close to the moment it was examined may still be
 * written within the same timestamp tick, which would leave its timestamps unchanged:
 * such "racy" records are not trusted, so the file is hashed again next time (as git does
 * with its index). Linux timestamps advance in ticks of a few milliseconds.
 */
const RACY_WINDOW_NS = 100_000_000n

/** How long to wait after a write before its timestamps can be trusted. */
export const RACY_WINDOW_MS = Number(RACY_WINDOW_NS / 1_000_000n)

/** Examined within a timestamp tick of its last change: the timestamps cannot be trusted yet. */
export function isRacy(identity: FileIdentity, examinedNs: bigint): boolean {
  return examinedNs - identity.mtimeNs < RACY_WINDOW_NS || examinedNs - identity.ctimeNs < RACY_WINDOW_NS
}

const NEEDS_QUOTING = /[\t\n\r\\"]/

/** A name or path as one tab-free, newline-free field. */
export function encodeField(text: string): string {
  return NEEDS_QUOTING.test(text) ? JSON.stringify(text) : text
}

export function decodeField(field: string): string {
  return field.startsWith('"') ? (JSON.parse(field) as string) : field
}

/** The identity part of a record line: what must match exactly for the hash to be reused. */
export function identityKey(identity: FileIdentity): string {
  return `${identity.size}\t${identity.mtimeNs}\t${identity.ctimeNs}\t${identity.ino}`
}

export function recordLine(name: string, record: HashRecord): string {
  return `${encodeField(name)}\t${identityKey(record)}\t${record.md5}\n`
}

const MD5_LENGTH = 32
const MD5 = /^[0-9a-f]{32}$/

/** Remembered hashes of one directory's files, by name: the identity key and MD5 of each. */
export class ChunkRecords {
  private constructor(private readonly byName: Map<string, string>) {}

  static empty(): ChunkRecords {
    return new ChunkRecords(new Map())
  }

  /**
   * Splits a chunk into records without checking their fields: a record is used only when
   * its identity text equals the one built from a fresh lstat (digits only) and its MD5
   * is well-formed, so a damaged record can only go unused. A line without the fields'
   * shape throws (the caller ignores the whole chunk, with a warning).
   */
  static parse(chunk: string): ChunkRecords {
    const byName = new Map<string, string>()
    let at = 0
    while (at < chunk.length) {
      let end = chunk.indexOf('\n', at)
      if (end < 0) end = chunk.length
      const tab = chunk.indexOf('\t', at)
      if (tab <= at || tab > end - MD5_LENGTH - 2 || chunk.charCodeAt(end - MD5_LENGTH - 1) !== 0x09) {
        throw new Error(`malformed record ${JSON.stringify(chunk.slice(at, Math.min(end, at + 80)))}`)
      }
      byName.set(decodeField(chunk.slice(at, tab)), chunk.slice(tab + 1, end))
      at = end + 1
    }
    return new ChunkRecords(byName)
  }

  /** Whether a record of this name exists (whatever its identity). */
  has(name: string): boolean {
    return this.byName.has(name)
  }

  /** The MD5 remembered for exactly this identity, if any. */
  lookup(name: string, identity: FileIdentity): string | undefined {
    const record = this.byName.get(name)
    if (record === undefined) return undefined
    const key = identityKey(identity)
    if (record.length !== key.length + 1 + MD5_LENGTH || !record.startsWith(key) || record.charCodeAt(key.length) !== 0x09) return undefined
    const md5 = record.slice(key.length + 1)
    return MD5.test(md5) ? md5 : undefined
  }
}

/** Joins record lines into a chunk, sorted by name so equal contents give equal text. */
export function chunkOf(lines: Iterable<[name: string, line: string]>): string {
  return [...lines].sort((a, b) => comparePaths(a[0], b[0])).map(([, line]) => line).join('')
}

/** The lines of a chunk by name (for edits after apply). */
export function linesOf(chunk: string): Map<string, string> {
  const lines = new Map<string, string>()
  for (const line of chunk.split('\n')) {
    if (line === '') continue
    lines.set(decodeField(line.slice(0, line.indexOf('\t'))), line + '\n')
  }
  return lines
}
