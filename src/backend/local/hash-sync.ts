import {createHash, type Hash} from 'node:crypto'
import {closeSync, constants, openSync, readSync} from 'node:fs'

/** Large reads keep syscall overhead low; one buffer per reader keeps memory constant. */
const CHUNK_BYTES = 1024 * 1024

/** MD5 of a file and the number of bytes hashed (the file may change under us). */
export interface FileHash {
  md5: string
  size: number
}

/**
 * Reusable read buffers of one thread. Scanning runs synchronously on its thread (a worker
 * or the caller's), so one pair of buffers serves every file it hashes.
 */
export class ReadBuffers {
  readonly a = Buffer.allocUnsafe(CHUNK_BYTES)
  readonly b = Buffer.allocUnsafe(CHUNK_BYTES)
}

/**
 * Opens with O_NOFOLLOW: a file swapped for a symlink since it was listed is an error, not
 * a read of whatever the link points to. O_NONBLOCK: one swapped for a FIFO reads as
 * empty instead of waiting forever for a writer (apply's checks then see the change).
 */
export function openForReading(absPath: string): number {
  return openSync(absPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
}

/**
 * Reads up to `want` bytes into the start of `buffer`; fewer only at the end of the file.
 * A caller that knows how many bytes to expect asks for no more, so a small file costs
 * one read, not a second one to meet the end.
 */
function readChunk(fd: number, buffer: Buffer, want: number): number {
  let filled = 0
  while (filled < want) {
    const n = readSync(fd, buffer, filled, want - filled, null)
    if (n === 0) break
    filled += n
  }
  return filled
}

/**
 * The next chunk size: a full buffer, or what is left of `limit` (the size lstat reported;
 * bytes a file gained since are not this scan's to hash, and its changed timestamps have
 * the cache and apply's checks see to it).
 */
function nextWant(buffer: Buffer, done: number, limit: number | undefined): number {
  // A size of 0 is not trusted as a limit: some filesystems (procfs, FUSE) report 0 for
  // files with content, which would then always hash as empty.
  return limit === undefined || limit === 0 ? buffer.length : Math.min(buffer.length, limit - done)
}

/**
 * Hashes a regular file in fixed-size chunks, so a 10 GB file costs one buffer: up to
 * `limit` bytes when given, else to its end.
 */
export function hashFileSync(absPath: string, buffers: ReadBuffers, limit?: number): FileHash {
  const fd = openForReading(absPath)
  try {
    return hashOpenFile(fd, buffers, limit)
  } finally {
    closeSync(fd)
  }
}

/** `hashFileSync` of a file already open (see `openForReading`); the caller closes it. */
export function hashOpenFile(fd: number, buffers: ReadBuffers, limit?: number): FileHash {
  const hash = createHash('md5')
  let size = 0
  for (let want = nextWant(buffers.a, 0, limit); want > 0; want = nextWant(buffers.a, size, limit)) {
    const n = readChunk(fd, buffers.a, want)
    hash.update(buffers.a.subarray(0, n))
    size += n
    if (n < want) break
  }
  return {md5: hash.digest('hex'), size}
}

/** The hashes of a source file and its same-size replica counterpart. */
export interface PairHash {
  source: FileHash
  replica: FileHash
}

/**
 * Hashes two files that are probably identical (a source file and its replica twin of the
 * same size) for the price of one MD5: the replica's bytes are compared with the source's,
 * and while they are equal so is its hash. From the first difference on, the replica gets
 * a copy of the source's hash state and is hashed on its own. Errors name the side that
 * failed (`side` on the thrown error).
 */
export function hashPairSync(sourcePath: string, replicaPath: string, buffers: ReadBuffers, limit?: number): PairHash {
  const sourceFd = withSide('source', () => openForReading(sourcePath))
  try {
    const replicaFd = withSide('replica', () => openForReading(replicaPath))
    try {
      return hashOpenPair(sourceFd, replicaFd, buffers, limit)
    } finally {
      closeSync(replicaFd)
    }
  } finally {
    closeSync(sourceFd)
  }
}

/** `hashPairSync` of two files already open (see `openForReading`); the caller closes them. */
export function hashOpenPair(sourceFd: number, replicaFd: number, buffers: ReadBuffers, limit?: number): PairHash {
  const sourceHash = createHash('md5')
  let replicaHash: Hash | undefined
  let sourceSize = 0
  let replicaSize = 0
  for (let want = nextWant(buffers.a, 0, limit); want > 0; ) {
    const s = withSide('source', () => readChunk(sourceFd, buffers.a, Math.min(want, nextWant(buffers.a, sourceSize, limit))))
    const r = withSide('replica', () => readChunk(replicaFd, buffers.b, Math.min(want, nextWant(buffers.b, replicaSize, limit))))
    const sourceBytes = buffers.a.subarray(0, s)
    const replicaBytes = buffers.b.subarray(0, r)
    if (replicaHash === undefined && (s !== r || !sourceBytes.equals(replicaBytes))) replicaHash = sourceHash.copy()
    sourceHash.update(sourceBytes)
    replicaHash?.update(replicaBytes)
    sourceSize += s
    replicaSize += r
    if (s < want && r < want) break
    want = Math.max(nextWant(buffers.a, sourceSize, limit), nextWant(buffers.b, replicaSize, limit))
  }
  const sourceMd5 = sourceHash.digest('hex')
  return {
    source: {md5: sourceMd5, size: sourceSize},
    replica: {md5: replicaHash ? replicaHash.digest('hex') : sourceMd5, size: replicaSize},
  }
}

/** An error from hashing, tagged with the tree whose file caused it. */
export type SideError = Error & {side?: 'source' | 'replica'}

function withSide<T>(side: 'source' | 'replica', run: () => T): T {
  try {
    return run()
  } catch (error) {
    throw Object.assign(error as Error, {side})
  }
}
