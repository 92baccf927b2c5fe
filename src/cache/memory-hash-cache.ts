import {baseName, parentPath} from '../tree/paths.js'
import type {HashCache} from './hash-cache.js'
import {DirectoryHashes, editPacked, isRacy, type FileIdentity, type HashRecord, type PackedHashes} from './packed-hashes.js'

/**
 * A hash cache held in memory, for tests and for library users who keep their own: the
 * same records and rules as the file cache, without the file. `saves` counts the runs
 * that ended with `save`.
 */
export class MemoryHashCache implements HashCache {
  readonly problem = undefined
  /** Packed records by directory. */
  private readonly dirs = new Map<string, PackedHashes>()
  saves = 0

  constructor(readonly name = 'memory') {}

  lookup(path: string, identity: FileIdentity): string | undefined {
    return DirectoryHashes.unpack(this.directoryHashes(parentPath(path))).lookup(baseName(path), identity)
  }

  record(path: string, record: HashRecord, examinedNs: bigint): void {
    this.edit(path, isRacy(record, examinedNs) ? undefined : record)
  }

  forget(path: string): void {
    this.edit(path, undefined)
  }

  directoryHashes(dir: string): PackedHashes {
    return this.dirs.get(dir) ?? ''
  }

  storeDirectory(dir: string, hashes: PackedHashes): void {
    if (hashes === '') this.dirs.delete(dir)
    else this.dirs.set(dir, hashes)
  }

  keepDirectories(dirs: Iterable<string>): void {
    const keep = new Set(dirs)
    for (const dir of this.dirs.keys()) if (!keep.has(dir)) this.dirs.delete(dir)
  }

  /** The directories with records, in no particular order. */
  directories(): string[] {
    return [...this.dirs.keys()]
  }

  async save(): Promise<void> {
    this.saves++
  }

  close(): void {}

  private edit(path: string, record: HashRecord | undefined): void {
    const dir = parentPath(path)
    this.storeDirectory(dir, editPacked(this.directoryHashes(dir), new Map([[baseName(path), record]])))
  }
}
