import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import type {Readable} from 'node:stream'

import type {ContentHash} from '../backend.js'

/**
 * Bytes per read. Smaller than the scanner's 1 MiB chunks: several files are hashed at
 * once on the main thread, each holding a buffer, and a hop per 256 KiB costs little next
 * to hashing them.
 */
const CHUNK_BYTES = 256 * 1024

/** Buffers kept for the next file once one is hashed; about the copies in flight at once. */
const MAX_SPARE_BUFFERS = 16
const spareBuffers: Buffer[] = []

/** As `openForReading` in hash-sync.ts: never a read through a swapped-in symlink or FIFO. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/**
 * `hashFileSync` through `fs/promises`, for the main thread: the MD5 of a regular file's
 * first `limit` bytes (or fewer, at its end) and how many bytes that was. Each read is a
 * hop to libuv's thread pool and the hashing runs between reads, so the event loop stays
 * responsive (to signals, to other copies' completions) however large the file is.
 */
export async function hashFileAsync(absPath: string, limit: number): Promise<ContentHash> {
  const handle = await open(absPath, READ_FLAGS)
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)
  try {
    const hash = createHash('md5')
    let size = 0
    // Asking for no more than what is left of `limit` lets a small file cost one read.
    for (let want = Math.min(buffer.length, limit); want > 0; want = Math.min(buffer.length, limit - size)) {
      const n = await readChunk(handle, buffer, want)
      hash.update(buffer.subarray(0, n))
      size += n
      if (n < want) break
    }
    return {md5: hash.digest('hex'), size}
  } finally {
    if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer)
    await handle.close()
  }
}

/** A stream of a regular file's bytes, opened as `hashFileAsync` opens it (an open error rejects here, not in the stream). */
export async function openForStream(absPath: string): Promise<Readable> {
  const handle = await open(absPath, READ_FLAGS)
  return handle.createReadStream()
}

/** Reads up to `want` bytes into the start of `buffer`; fewer only at the end of the file. */
async function readChunk(handle: FileHandle, buffer: Buffer, want: number): Promise<number> {
  let filled = 0
  while (filled < want) {
    const {bytesRead} = await handle.read(buffer, filled, want - filled, null)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}
