import type {Entry, Manifest, Operation} from '../../src/index.js'
import {comparePaths} from '../../src/index.js'

/** A fixed instant for literal entries (2024-01-02T03:04:05.678Z). */
export const T0 = 1_704_164_645_678

/** A fixed `createdAt`, so planning stays a pure function in tests. */
export const CREATED_AT = '2026-11-24T10:15:02.123Z'

/** Overrides for a literal file; `md5: undefined` means "not hashed". */
export interface FileFields {
  size?: number
  md5?: string | undefined
  mtimeMs?: number
  mode?: number
  unreadable?: boolean
}

/** Overrides for a literal directory. */
export interface DirFields {
  mtimeMs?: number
  mode?: number
  unreadable?: boolean
}

/** A regular file entry: 5 bytes, MD5 `m-default`, mode 0644, mtime `T0` unless told. */
export function file(path: string, fields: FileFields = {}): Entry {
  const entry: Entry = {path, type: 'file', size: 5, mtimeMs: T0, mode: 0o644, md5: 'm-default'}
  return withoutUndefined({...entry, ...fields})
}

/** A directory entry: mode 0755, mtime `T0` unless told. */
export function dir(path: string, fields: DirFields = {}): Entry {
  return withoutUndefined({path, type: 'dir', size: 0, mtimeMs: T0, mode: 0o755, ...fields})
}

/** A symbolic link entry with its target text. */
export function link(path: string, target: string): Entry {
  return {path, type: 'symlink', size: target.length, mtimeMs: T0, mode: 0, target}
}

/** A manifest from entries in any order: sorted by `comparePaths`, as the scanner returns them. */
export function manifest(root: string, entries: readonly Entry[]): Manifest {
  const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path))
  return {root, exists: true, entries: sorted, warnings: [], temporaries: [], excluded: []}
}

/** The source side of a literal pair, rooted at `/src`. */
export function source(...entries: Entry[]): Manifest {
  return manifest('/src', entries)
}

/** The replica side of a literal pair, rooted at `/replica`. */
export function replica(...entries: Entry[]): Manifest {
  return manifest('/replica', entries)
}

/** The fields of an operation that tables assert on, always including the identifying ones. */
export function project(op: Operation, extraKeys: readonly string[] = []): Record<string, unknown> {
  const keys = ['op', 'from', 'path', 'type', 'reason', 'target', ...extraKeys]
  const record = op as unknown as Record<string, unknown>
  return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]))
}

function withoutUndefined(entry: Entry): Entry {
  const record = entry as unknown as Record<string, unknown>
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key]
  return entry
}
