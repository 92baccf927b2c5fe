import type {Readable} from 'node:stream'

import {TreesyncError} from '../../errors.js'
import {joinPath, parentPath} from '../../tree/paths.js'
import {makeTempName} from '../../tree/temp-name.js'
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
import type {Capabilities} from '../capabilities.js'
import {assertExpected} from '../preconditions.js'
import {openRegularFile, regularFileAttributes} from './open-regular-file.js'
import {pipelinedRead} from './pipelined-read.js'
import {RemoteFileHasher} from './remote-file-hasher.js'
import {RemoteMd5} from './remote-md5.js'
import {MissingRemoteDirectoryError, RemoteTree} from './remote-tree.js'
import {SftpCalls} from './sftp-calls.js'
import {entryOfAttributes, typeOfAttributes} from './sftp-entry.js'
import {isNoSuchFile, SFTP_STATUS, SftpStatusError} from './sftp-errors.js'
import type {SshSession} from './ssh-session.js'
import {renameIntoPlace, uploadIntoPlace, type UploadTarget} from './upload-into-place.js'

/** What an SFTP root keeps, whatever the server's filesystem (SFTP v3 sends whole-second mtimes). */
export function sftpCapabilities(session: Pick<SshSession, 'extensions'>): Capabilities {
  return {
    mtimePrecisionNs: 1e9,
    modes: true,
    symlinks: true,
    emptyDirs: true,
    caseSensitive: true,
    freeHashes: [],
    cheapMove: true,
    atomicReplace: session.extensions.posixRename,
  }
}

/**
 * A directory on an SSH server, through OpenSSH's SFTP subsystem, as a `Backend`. Every
 * request is sent without waiting for another (SFTP numbers them), so concurrent callers
 * get concurrent round trips. Containment is checked by lstat before each change (see
 * `RemoteTree`), files are uploaded pipelined to a temporary and renamed into place.
 *
 * The session belongs to the caller: `close()` leaves it open (several backends, or a
 * source and a replica on one server, may share it), and the caller closes it after.
 */
export class SftpBackend implements Backend {
  readonly capabilities: Capabilities
  private readonly calls: SftpCalls
  private readonly tree: RemoteTree
  private readonly hasher: RemoteFileHasher

  constructor(
    private readonly session: SshSession,
    /** The root's absolute remote path (see `resolveRemoteRoot`). */
    rootPath: string,
    /** The root as the user named it (`sftp://user@host:port/path`), for messages. */
    readonly root: string,
  ) {
    if (!rootPath.startsWith('/')) throw new TypeError(`SFTP root path must be absolute: ${rootPath}`)
    const normal = rootPath.length > 1 ? rootPath.replace(/\/+$/, '') : rootPath
    this.capabilities = sftpCapabilities(session)
    this.calls = SftpCalls.forSession(session)
    this.tree = new RemoteTree(this.calls, normal, root)
    this.hasher = new RemoteFileHasher(this.calls, RemoteMd5.forSession(session))
  }

  async list(dir: string): Promise<ListedEntry[]> {
    return this.withPath(dir, async () => {
      // The directory is read while its containment is checked (a read changes nothing),
      // and the listing is used only if the check passes: a round trip saved per directory.
      const [contained, read] = await Promise.allSettled([this.tree.assertDirectoryContained(dir), this.calls.readdir(this.tree.abs(dir))])
      if (contained.status === 'rejected') throw contained.reason
      if (read.status === 'rejected') throw read.reason
      const listed = read.value
      // The server sends each name's lstat attributes with it; only symlink targets cost a request, all sent at once.
      const entries = await Promise.all(
        listed.map(async ({filename, attrs}) => {
          if (typeOfAttributes(attrs) !== 'symlink') return {name: filename, ...entryOfAttributes(attrs)}
          const target = await this.calls.readlink(this.tree.abs(joinPath(dir, filename))).catch((error: unknown) => {
            if (isNoSuchFile(error)) return undefined // removed since the listing: not listed
            throw error
          })
          return target === undefined ? undefined : {name: filename, ...entryOfAttributes(attrs, target)}
        }),
      )
      return entries.filter((e): e is ListedEntry => e !== undefined)
    })
  }

  async stat(path: string): Promise<BackendEntry | undefined> {
    return this.withPath(path, async () => {
      // The root itself has nothing above it to check, and may not exist yet (a replica apply creates).
      if (path === '') return await this.tree.entry('')
      try {
        return await this.tree.containedEntry(path)
      } catch (error) {
        if (error instanceof MissingRemoteDirectoryError) return undefined
        throw error
      }
    })
  }

  async hash(path: string, limit = Number.POSITIVE_INFINITY): Promise<ContentHash> {
    return this.withPath(path, async () => {
      const attrs = await regularFileAttributes(this.tree, path)
      return this.hasher.hash(this.tree.abs(path), attrs, limit, () => openRegularFile(this.tree, this.calls, path, attrs))
    })
  }

  async openRead(path: string): Promise<Readable> {
    return this.withPath(path, async () => {
      const handle = await openRegularFile(this.tree, this.calls, path, await regularFileAttributes(this.tree, path))
      return pipelinedRead(this.calls, handle, this.tree.abs(path))
    })
  }

  async writeFile(path: string, from: SourceFile, attributes: WriteAttributes, expected: ExpectedState): Promise<void> {
    return this.withPath(path, () => uploadIntoPlace(path, from, attributes, expected, this.uploadTarget()))
  }

  async symlink(path: string, target: string, expected: ExpectedState): Promise<void> {
    return this.withPath(path, async () => {
      await this.tree.assertContained(path)
      const tempPath = joinPath(parentPath(path), makeTempName())
      await this.calls.symlink(target, this.tree.abs(tempPath))
      // The temporary is a symlink: its RENAME is OpenSSH's stat-then-rename, which does not
      // refuse a dangling symlink at `path`; `renameIntoPlace` checks `path` by lstat first.
      try {
        await renameIntoPlace(path, tempPath, expected, this.uploadTarget())
      } catch (error) {
        await this.calls.unlink(this.tree.abs(tempPath)).catch(() => undefined)
        throw error
      }
    })
  }

  async mkdir(path: string, mode?: number): Promise<void> {
    return this.withPath(path, async () => {
      assertExpected(path, await this.tree.containedEntry(path), ABSENT)
      await this.calls.mkdir(this.tree.abs(path), mode).catch(async (error: unknown) => {
        // SFTP's FAILURE says no more than that: something appeared there meanwhile, most likely.
        if (await this.tree.lstat(path).catch(() => undefined)) throw new TreesyncError('PLAN_STALE', 'replica entry appeared since the plan was made', path)
        throw error
      })
    })
  }

  async rmdir(path: string): Promise<void> {
    return this.withPath(path, async () => {
      assertExpected(path, await this.tree.containedEntry(path), {type: 'dir'})
      try {
        await this.calls.rmdir(this.tree.abs(path))
      } catch (error) {
        // OpenSSH answers ENOTEMPTY with SFTP's catch-all FAILURE: look.
        const failure = error instanceof SftpStatusError && error.status === SFTP_STATUS.FAILURE
        if (failure && (await this.calls.readdir(this.tree.abs(path)).catch(() => [])).length > 0) {
          throw new TreesyncError('PLAN_STALE', 'directory is not empty: it holds entries the plan does not name', path)
        }
        throw error
      }
    })
  }

  async remove(path: string, expected: ExpectedEntry): Promise<void> {
    return this.withPath(path, async () => {
      assertExpected(path, await this.tree.containedEntry(path), expected)
      // SFTP REMOVE is unlink(2): it never follows a final symlink and refuses a directory.
      await this.calls.unlink(this.tree.abs(path))
    })
  }

  async move(from: string, to: string, expected: ExpectedEntry): Promise<void> {
    return this.withPath(from, async () => {
      // Both read at once; `to`'s failure is the one reported when both fail.
      const [taken, found] = (await Promise.allSettled([this.tree.containedEntry(to), this.tree.containedEntry(from)])).map((r) => {
        if (r.status === 'rejected') throw r.reason
        return r.value
      })
      assertExpected(from, found, expected)
      assertExpected(to, taken, ABSENT)
      // `to` was checked absent just above (by lstat, which sees a dangling symlink). OpenSSH's
      // RENAME refuses a regular file's existing target (link, then unlink), but moves a
      // directory or a symlink by stat(to) then rename(2): a dangling symlink created at `to`
      // since the check would be replaced (the window of any check-then-act change).
      await this.calls.rename(this.tree.abs(from), this.tree.abs(to)).catch(async (error: unknown) => {
        if (await this.tree.lstat(to).catch(() => undefined)) throw new TreesyncError('PLAN_STALE', 'replica entry appeared since the plan was made', to)
        throw error
      })
    })
  }

  async setMetadata(path: string, change: MetadataChange, expected?: ExpectedEntry): Promise<void> {
    return this.withPath(path, async () => {
      const entry = await this.tree.containedEntry(path)
      if (expected) assertExpected(path, entry, expected)
      // SETSTAT follows a final symlink (OpenSSH calls chmod and utimes): its target may lie anywhere.
      if (entry?.type === 'symlink') throw new TreesyncError('PLAN_STALE', 'replica entry is now a symlink: its metadata is not set', path)
      if (!entry) throw new TreesyncError('PLAN_STALE', 'replica entry changed since the plan was made: it no longer exists', path)
      const attrs: {mode?: number; atime?: number; mtime?: number} = {}
      if (change.mode !== undefined) attrs.mode = change.mode
      if (change.mtimeMs !== undefined) {
        // SFTP v3 sets atime and mtime together: the atime is set to the new mtime too.
        attrs.atime = attrs.mtime = Math.floor(change.mtimeMs / 1000)
      }
      await this.calls.setstat(this.tree.abs(path), attrs)
    })
  }

  /** The session stays open: it belongs to the caller (see the class). */
  async close(): Promise<void> {}

  private uploadTarget(): UploadTarget {
    return {tree: this.tree, calls: this.calls, posixRename: this.session.extensions.posixRename, fsync: this.session.extensions.fsync}
  }

  /** Runs one operation; a lost connection is reported with the operation's path (as the user named it, relative to the root). */
  private async withPath<T>(path: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      if (error instanceof TreesyncError && error.code === 'ROOT_UNREACHABLE') {
        throw new TreesyncError('ROOT_UNREACHABLE', `${path || '.'}: connection to ${this.session.label} lost`, path)
      }
      throw error
    }
  }
}
