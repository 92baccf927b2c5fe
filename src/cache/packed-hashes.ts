import {comparePaths} from '../tree/paths.js'

/**
 * One directory's remembered hashes as one string: what a hash cache hands a scanner
 * thread with a directory job (a string is the cheapest thing to post), and what the file
 * cache stores as the directory's chunk. One line per file,
 * `name TAB size TAB mtimeNs TAB ctimeNs TAB inode TAB md5`, sorted by name, so equal
 * records give equal text. Names are written as they are unless a tab, newline,
 * backslash or quote forces JSON quoting. Only this module reads or writes the lines.
 */
export type PackedHashes = string

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

/** The name or path an `encodeField` field holds. */
export function decodeField(field: string): string {
  return field.startsWith('"') ? (JSON.parse(field) as string) : field
}

/** The identity part of a record line: what must match exactly for the hash to be reused. */
function identityKey(identity: FileIdentity): string {
  return `${identity.size}\t${identity.mtimeNs}\t${identity.ctimeNs}\t${identity.ino}`
}

function recordLine(name: string, record: HashRecord): string {
  return `${encodeField(name)}\t${identityKey(record)}\t${record.md5}\n`
}

/**
 * Packs the hashes of one directory's files, by name, leaving out those examined too
 * soon after a change to be trusted (see `isRacy`).
 */
export function packHashes(records: Iterable<[name: string, record: HashRecord]>, examinedNs: bigint): PackedHashes {
  const packer = new HashPacker(examinedNs)
  for (const [name, record] of records) packer.add(name, record, record.md5)
  return packer.packed()
}

/**
 * Packs one directory's hashes a file at a time, without a record object per file (a
 * scan packs every directory it lists). Files added in name order need no sorting.
 */
export class HashPacker {
  private lines: Array<[string, string]> = []
  private sorted = true

  constructor(private readonly examinedNs: bigint) {}

  /** Adds a file's hash, unless its identity is racy (see `isRacy`). */
  add(name: string, identity: FileIdentity, md5: string): void {
    if (isRacy(identity, this.examinedNs)) return
    const last = this.lines[this.lines.length - 1]
    if (last && comparePaths(last[0], name) >= 0) this.sorted = false
    this.lines.push([name, `${encodeField(name)}\t${identityKey(identity)}\t${md5}\n`])
  }

  packed(): PackedHashes {
    if (!this.sorted) return joinLines(this.lines)
    let packed = ''
    for (const [, line] of this.lines) packed += line
    return packed
  }
}

/** `packed` with one file's record set (a line) or removed (undefined), by name. */
export function editPacked(packed: PackedHashes, edits: ReadonlyMap<string, HashRecord | undefined>): PackedHashes {
  const lines = new Map<string, string>()
  for (const line of packed.split('\n')) {
    if (line !== '') lines.set(decodeField(line.slice(0, line.indexOf('\t'))), line + '\n')
  }
  for (const [name, record] of edits) {
    if (record === undefined) lines.delete(name)
    else lines.set(name, recordLine(name, record))
  }
  return joinLines(lines)
}

function joinLines(lines: Iterable<[name: string, line: string]>): string {
  return [...lines].sort((a, b) => comparePaths(a[0], b[0])).map(([, line]) => line).join('')
}

const MD5_LENGTH = 32
const MD5 = /^[0-9a-f]{32}$/

/** Remembered hashes of one directory's files, unpacked for lookups by name and identity. */
export class DirectoryHashes {
  private constructor(private readonly byName: Map<string, string>) {}

  /** No hashes at all. */
  static readonly NONE = new DirectoryHashes(new Map())

  /**
   * Splits packed hashes into records without checking their fields: a record is used only
   * when its identity text equals the one built from a fresh lstat (digits only) and its
   * MD5 is well-formed, so a damaged record can only go unused. A line without the fields'
   * shape throws an Error saying so (the caller ignores the whole directory's hashes).
   */
  static unpack(packed: PackedHashes): DirectoryHashes {
    const byName = new Map<string, string>()
    let at = 0
    while (at < packed.length) {
      let end = packed.indexOf('\n', at)
      if (end < 0) end = packed.length
      const tab = packed.indexOf('\t', at)
      if (tab <= at || tab > end - MD5_LENGTH - 2 || packed.charCodeAt(end - MD5_LENGTH - 1) !== 0x09) {
        throw new Error(`malformed record ${JSON.stringify(packed.slice(at, Math.min(end, at + 80)))}`)
      }
      byName.set(decodeField(packed.slice(at, tab)), packed.slice(tab + 1, end))
      at = end + 1
    }
    return new DirectoryHashes(byName)
  }

  /** Whether a hash of this name is remembered (whatever its identity). */
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
