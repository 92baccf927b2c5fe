import {constants, copyFileSync, lstatSync, readlinkSync, realpathSync, renameSync, chmodSync, unlinkSync, type BigIntStats} from 'node:fs'
import {chmod, copyFile, lstat, readlink, realpath, rename, unlink} from 'node:fs/promises'

import {hashFileSync, ReadBuffers, type FileHash} from './hash-sync.js'
import {hashFileAsync} from './hash-file.js'
import {copyUnsupported, plainCopy, plainCopySync} from './plain-copy.js'
import {setMtime, setMtimeSync} from './timestamps.js'

type MaybePromise<T> = T | Promise<T>

/**
 * Copies a source file's bytes to a new file (the temporary), which it must create
 * exclusively (failing with EEXIST if the name is taken); injectable for fault tests.
 */
export type CopyFile = (source: string, destination: string) => Promise<void>

const COPY_FLAGS = constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE

/** The kernel's fast paths: copy_file_range/sendfile, and a reflink where the filesystem can. */
const kernelCopy: CopyFile = (source, destination) =>
  copyFile(source, destination, COPY_FLAGS).catch((error: unknown) => {
    if (!copyUnsupported(error)) throw error
    return plainCopy(source, destination)
  })

function kernelCopySync(source: string, destination: string): void {
  try {
    copyFileSync(source, destination, COPY_FLAGS)
  } catch (error) {
    if (!copyUnsupported(error)) throw error
    plainCopySync(source, destination)
  }
}

/**
 * The system calls apply makes on a tree, on absolute paths. Two implementations: one
 * through `fs/promises` (each call a hop to libuv's thread pool, for the main thread) and
 * one blocking (for worker threads, where a file's whole sequence runs without a hop).
 * Callers `await` every call, so the same code drives both.
 */
export interface FileIo {
  /** lstat with nanosecond times, or undefined when nothing is there. */
  lstat(path: string): MaybePromise<BigIntStats | undefined>
  readlink(path: string): MaybePromise<string>
  realpath(path: string): MaybePromise<string>
  /** True when one realpath(3) costs less than an lstat per directory (a hop per call). */
  readonly realpathIsCheap: boolean
  copyFile(source: string, destination: string): MaybePromise<void>
  /**
   * True when `copyFile` gives the new file the source's permission bits as they were
   * during the copy (libuv's copy does, with fchmod, so umask plays no part).
   */
  readonly copyKeepsMode: boolean
  /**
   * MD5 of a regular file's first `limit` bytes (fewer at its end) and how many bytes that
   * was; a final symlink is not followed.
   */
  hashFile(path: string, limit: number): MaybePromise<FileHash>
  chmod(path: string, mode: number): MaybePromise<void>
  setMtime(path: string, mtimeMs: number): MaybePromise<void>
  rename(from: string, to: string): MaybePromise<void>
  unlink(path: string): MaybePromise<void>
}

function orUndefinedWhenMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
  throw error
}

/** `FileIo` through `fs/promises`, with an injectable copy. */
export function promiseIo(copy: CopyFile = kernelCopy): FileIo {
  return {
    lstat: (path) => lstat(path, {bigint: true}).catch(orUndefinedWhenMissing),
    readlink: (path) => readlink(path),
    realpath: (path) => realpath(path),
    realpathIsCheap: true,
    copyFile: copy,
    copyKeepsMode: copy === kernelCopy,
    hashFile: hashFileAsync,
    chmod,
    setMtime,
    rename,
    unlink,
  }
}

/** The read buffers of this thread's `syncIo`, made on first use: the main thread has no need of them. */
let readBuffers: ReadBuffers | undefined

/** `FileIo` by blocking calls, for worker threads. */
export const syncIo: FileIo = Object.freeze({
  lstat: (path: string) => lstatSync(path, {bigint: true, throwIfNoEntry: false}),
  readlink: (path: string) => readlinkSync(path),
  realpath: (path: string) => realpathSync.native(path),
  realpathIsCheap: false,
  copyFile: kernelCopySync,
  copyKeepsMode: true,
  hashFile: (path: string, limit: number) => hashFileSync(path, (readBuffers ??= new ReadBuffers()), limit),
  chmod: chmodSync,
  setMtime: setMtimeSync,
  rename: renameSync,
  unlink: unlinkSync,
})
