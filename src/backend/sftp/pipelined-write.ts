import {createHash} from 'node:crypto'

import type {SftpCalls, SftpHandle} from './sftp-calls.js'

/**
 * Most bytes per WRITE request: what OpenSSH accepts (255 KiB, its `limits@openssh.com`),
 * or less when the server says so. Loopback uploads are CPU-bound, per request: 64 KiB
 * requests ran at 110–190 MiB/s, 255 KiB ones at 195–275 MiB/s (64 MiB, 2 cores).
 */
export const WRITE_CHUNK_BYTES = 255 * 1024

/**
 * WRITE requests in flight at once. One at a time (ssh2's `createWriteStream`), each waits
 * a round trip for its status. 16 × 255 KiB is 4 MiB on the way: twice OpenSSH's 2 MiB
 * channel window, so the window, not this, limits a long-distance upload.
 */
export const WRITES_IN_FLIGHT = 16

/** What a pipelined write sent: the bytes' count and MD5. */
export interface WrittenBytes {
  size: number
  md5: string
}

/**
 * Writes a stream of bytes into an open remote file from offset 0, with several WRITE
 * requests in flight (the server writes each at its own offset, so their order does not
 * matter), hashing the bytes as they are sent. The source's pieces are gathered into
 * requests of `WRITE_CHUNK_BYTES` (a local file streams 64 KiB at a time). Rejects with
 * the first failure, of the source stream or of a write, only after every request sent
 * has been answered, so the handle can then be closed and the file removed.
 */
export async function pipelinedWrite(calls: SftpCalls, handle: SftpHandle, remotePath: string, source: AsyncIterable<unknown>): Promise<WrittenBytes> {
  const chunkBytes = Math.min(WRITE_CHUNK_BYTES, calls.maxWriteBytes)
  const hash = createHash('md5')
  const inFlight: Promise<void>[] = []
  let failure: unknown
  let position = 0
  let gathered: Buffer[] = []
  let gatheredBytes = 0
  const send = async (chunk: Buffer): Promise<void> => {
    hash.update(chunk)
    // Failures are kept, not thrown here: every request sent is awaited below.
    inFlight.push(calls.write(handle, remotePath, chunk, position).catch((error: unknown) => void (failure ??= error)))
    position += chunk.length
    // Back-pressure: wait for the oldest request once the window is full.
    if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift()
    if (failure !== undefined) throw failure
  }
  try {
    for await (const piece of source) {
      gathered.push(piece as Buffer)
      gatheredBytes += (piece as Buffer).length
      if (gatheredBytes < chunkBytes) continue
      const bytes = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes)
      let offset = 0
      for (; bytes.length - offset >= chunkBytes; offset += chunkBytes) await send(bytes.subarray(offset, offset + chunkBytes))
      gathered = offset < bytes.length ? [bytes.subarray(offset)] : []
      gatheredBytes = bytes.length - offset
    }
    if (gatheredBytes > 0) await send(gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes))
  } catch (error) {
    failure ??= error
  }
  await Promise.all(inFlight)
  if (failure !== undefined) throw failure
  return {size: position, md5: hash.digest('hex')}
}
