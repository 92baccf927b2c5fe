import {mkdir, readdir, rename, rmdir, symlink, unlink} from 'node:fs/promises'
import type {Readable} from 'node:stream'

import {TreesyncError} from '../../errors.js'
import {joinPath} from '../../tree/paths.js'
import {tempPathBeside} from '../../tree/temp-name.js'
import {
  ABSENT,
  type Backend,
  type BackendEntry,
  type ContentHash,
  type ExpectedEntry,
  type ExpectedState,
  type ListedEntry,
  type MetadataChange,
  type SourceFile,
  type WriteAttributes,
} from '../backend.js'
import {FULL_CAPABILITIES, type Capabilities} from '../capabilities.js'
import {assertExpected} from '../preconditions.js'
import {Backup} from './backup.js'
import {copyIntoPlace, type CopyContext} from './copy-into-place.js'
import {CopyPool} from './copy-pool.js'
import {promiseIo, type CopyFile, type FileIo} from './file-io.js'
import {openForStream} from './hash-file.js'
import {MissingDirectoryError, RootedTree} from './rooted-tree.js'
import {streamIntoPlace} from './stream-into-place.js'

/** FAT's mtime step (2 s): a root this coarse is FAT-like. */
const FAT_MTIME_PRECISION_NS = 2e9

/** How a local backend is set up; all optional. */
export interface LocalBackendOptions {
  /** What the folder keeps (the probe's findings); default: a full POSIX filesystem. */
  capabilities?: Capabilities
  /** `--backup-dir`: entries removed or overwritten are kept there (see `Backup`); copies then stay on this thread. */
  backup?: {dir: string; startedAt: Date}
  /** Worker threads for copies from another local folder (0: on this thread). */
  copyWorkers?: number
  /** How file data is copied (default: the kernel's copy); injectable for fault tests, and then copies stay on this thread. */
  copyFile?: CopyFile
}

/**
 * A local folder as a `Backend`: lstat-based listings, realpath containment before every
 * change (`RootedTree`), and file copies by the kernel (copy_file_range, reflinks), made by
 * worker threads when asked for, each copy's bytes hashed as they landed.
 */
export class LocalBackend implements Backend {
  readonly capabilities: Capabilities
  /** The tree with its containment checks; also what another local backend copies from. */
  readonly tree: RootedTree
  /** Copy worker threads started (0 when copies are made on this thread). */
  readonly copyWorkers: number
  private readonly io: FileIo
  private readonly backup: Backup | undefined
  private readonly pool: CopyPool | undefined
  /** FAT drivers (fusefat) reset a file's mtime when it is renamed: copies set it again on the final name. */
  private readonly mtimeAfterRename: boolean

  constructor(
    readonly root: string,
    options: LocalBackendOptions = {},
  ) {
    this.capabilities = options.capabilities ?? FULL_CAPABILITIES
    this.tree = new RootedTree(root)
    this.io = promiseIo(options.copyFile)
    this.backup = options.backup && new Backup(options.backup.dir, options.backup.startedAt)
    // Backups and injected copies are not made for worker threads.
    const workers = options.copyFile || options.backup ? 0 : (options.copyWorkers ?? 0)
    this.mtimeAfterRename = this.capabilities.mtimePrecisionNs >= FAT_MTIME_PRECISION_NS
    this.pool = workers > 0 ? new CopyPool({replica: root, mtimeAfterRename: this.mtimeAfterRename}, workers) : undefined
    this.copyWorkers = this.pool?.size ?? 0
  }

  async list(dir: string): Promise<ListedEntry[]> {
    await this.tree.assertDirectoryContained(dir)
    const names = await readdir(this.tree.abs(dir))
    // All at once: libuv's thread pool queues the lstats, so a large directory costs no more round trips than a small one.
    const entries = await Promise.all(names.map((name) => this.tree.entry(joinPath(dir, name)).catch(() => undefined)))
    // An entry removed since the directory was read is simply not listed.
    return names.flatMap((name, i) => (entries[i] ? [{name, ...entries[i]}] : []))
  }

  async stat(path: string): Promise<BackendEntry | undefined> {
    try {
      await this.tree.assertContained(path)
    } catch (error) {
      if (error instanceof MissingDirectoryError) return undefined
      throw error
    }
    return this.tree.entry(path)
  }

  async hash(path: string, limit = Number.POSITIVE_INFINITY): Promise<ContentHash> {
    await this.tree.assertContained(path)
    return this.io.hashFile(this.tree.abs(path), limit)
  }

  async openRead(path: string): Promise<Readable> {
    await this.tree.assertContained(path)
    return openForStream(this.tree.abs(path))
  }

  async writeFile(path: string, from: SourceFile, attributes: WriteAttributes, expected: ExpectedState): Promise<void> {
    if (from.backend instanceof LocalBackend) {
      const job = {sourcePath: from.path, path, source: from.expected, attributes, expected}
      if (this.pool) return this.pool.run(from.backend.root, job)
      return copyIntoPlace(job, this.copyContext(from.backend.tree))
    }
    return streamIntoPlace(path, from, attributes, expected, {tree: this.tree, io: this.io, backup: this.backup, mtimeAfterRename: this.mtimeAfterRename})
  }

  async symlink(path: string, target: string, expected: ExpectedState): Promise<void> {
    await this.tree.assertContained(path)
    const dest = this.tree.abs(path)
    const temp = tempPathBeside(dest)
    await symlink(target, temp)
    try {
      assertExpected(path, await this.tree.entry(path), expected)
      if (expected !== ABSENT) await this.backup?.keepCopy(dest, path)
      await this.tree.assertContained(path)
      await rename(temp, dest)
    } catch (error) {
      await unlink(temp).catch(() => undefined)
      throw error
    }
  }

  async mkdir(path: string, mode?: number): Promise<void> {
    await this.tree.assertContained(path)
    assertExpected(path, await this.tree.entry(path), ABSENT)
    await mkdir(this.tree.abs(path), {mode})
  }

  async rmdir(path: string): Promise<void> {
    await this.tree.assertContained(path)
    assertExpected(path, await this.tree.entry(path), {type: 'dir'})
    try {
      await rmdir(this.tree.abs(path))
    } catch (error) {
      // FAT through fusefat says EPERM where others say ENOTEMPTY.
      if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (await readdir(this.tree.abs(path)).catch(() => [])).length > 0) {
        throw new TreesyncError('PLAN_STALE', 'directory is not empty: it holds entries the plan does not name', path)
      }
      throw error
    }
  }

  async remove(path: string, expected: ExpectedEntry): Promise<void> {
    await this.tree.assertContained(path)
    assertExpected(path, await this.tree.entry(path), expected)
    if (this.backup) await this.backup.moveAway(this.tree.abs(path), path)
    else await unlink(this.tree.abs(path))
  }

  async move(from: string, to: string, expected: ExpectedEntry): Promise<void> {
    await this.tree.assertContained(to)
    await this.tree.assertContained(from)
    assertExpected(from, await this.tree.entry(from), expected)
    assertExpected(to, await this.tree.entry(to), ABSENT)
    await rename(this.tree.abs(from), this.tree.abs(to))
  }

  async setMetadata(path: string, change: MetadataChange, expected?: ExpectedEntry): Promise<void> {
    await this.tree.assertContained(path)
    if (expected) assertExpected(path, await this.tree.entry(path), expected)
    else if (change.mode !== undefined && (await this.tree.lstat(path))?.isSymbolicLink()) {
      // chmod(2) follows a final symlink: its target may lie anywhere.
      throw new TreesyncError('PLAN_STALE', 'replica entry is now a symlink: its mode is not set', path)
    }
    if (change.mode !== undefined) await this.io.chmod(this.tree.abs(path), change.mode)
    if (change.mtimeMs !== undefined) await this.io.setMtime(this.tree.abs(path), change.mtimeMs)
  }

  async close(): Promise<void> {
    await this.pool?.close()
  }

  private copyContext(source: RootedTree): CopyContext {
    return {source, tree: this.tree, io: this.io, backup: this.backup, mtimeAfterRename: this.mtimeAfterRename}
  }
}
