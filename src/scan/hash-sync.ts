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
 * a read of whatever the link points to.
 */
function openForReading(absPath: string): number {
  return openSync(absPath, constants.O_RDONLY | constants.O_NOFOLLOW)
}

/**
 * Fills as much of `buffer` as the file still has. Less than a full buffer means the end
 * was reached, so a small file costs two reads (the second confirms the end), not three.
 */
function readChunk(fd: number, buffer: Buffer): number {
  let filled = 0
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, null)
    if (n === 0) break
    filled += n
  }
  return filled
}

/** Hashes a regular file in fixed-size chunks, so a 10 GB file costs one buffer. */
export function hashFileSync(absPath: string, buffers: ReadBuffers): FileHash {
  const fd = openForReading(absPath)
  try {
    const hash = createHash('md5')
    let size = 0
    let n: number
    do {
      n = readChunk(fd, buffers.a)
      hash.update(buffers.a.subarray(0, n))
      size += n
    } while (n === buffers.a.length)
    return {md5: hash.digest('hex'), size}
  } finally {
    closeSync(fd)
  }
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
export function hashPairSync(sourcePath: string, replicaPath: string, buffers: ReadBuffers): PairHash {
  const sourceFd = withSide('source', () => openForReading(sourcePath))
  try {
    const replicaFd = withSide('replica', () => openForReading(replicaPath))
    try {
      const sourceHash = createHash('md5')
      let replicaHash: Hash | undefined
      let sourceSize = 0
      let replicaSize = 0
      let s: number
      let r: number
      do {
        s = withSide('source', () => readChunk(sourceFd, buffers.a))
        r = withSide('replica', () => readChunk(replicaFd, buffers.b))
        const sourceBytes = buffers.a.subarray(0, s)
        const replicaBytes = buffers.b.subarray(0, r)
        if (replicaHash === undefined && (s !== r || !sourceBytes.equals(replicaBytes))) replicaHash = sourceHash.copy()
        sourceHash.update(sourceBytes)
        replicaHash?.update(replicaBytes)
        sourceSize += s
        replicaSize += r
      } while (s === buffers.a.length || r === buffers.b.length)
      const sourceMd5 = sourceHash.digest('hex')
      return {
        source: {md5: sourceMd5, size: sourceSize},
        replica: {md5: replicaHash ? replicaHash.digest('hex') : sourceMd5, size: replicaSize},
      }
    } finally {
      closeSync(replicaFd)
    }
  } finally {
    closeSync(sourceFd)
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
