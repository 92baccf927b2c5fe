import {createHash} from 'node:crypto'

import type {SftpCalls, SftpHandle} from './sftp-calls.js'

/** Bytes per WRITE request: well under OpenSSH's 256 KiB limit, large enough that headers do not matter. */
export const WRITE_CHUNK_BYTES = 64 * 1024

/**
 * WRITE requests in flight at once. One at a time, each chunk waits a round trip for its
 * status (ssh2's `createWriteStream` does that); 32 × 64 KiB keeps 2 MiB on the way, enough
 * to fill the SSH channel window on loopback and on a LAN.
 */
export const WRITES_IN_FLIGHT = 32

/** What a pipelined write sent: the bytes' count and MD5. */
export interface WrittenBytes {
  size: number
  md5: string
}

/**
 * Writes a stream of bytes into an open remote file from offset 0, with several WRITE
 * requests in flight (the server writes each at its own offset, so their order does not
 * matter), hashing the bytes as they are sent. Rejects with the first failure, of the
 * source stream or of a write, after every request sent has been answered, so the handle
 * can be closed and the file removed safely.
 */
export async function pipelinedWrite(calls: SftpCalls, handle: SftpHandle, remotePath: string, source: AsyncIterable<unknown>): Promise<WrittenBytes> {
  const hash = createHash('md5')
  const inFlight: Promise<void>[] = []
  let failure: unknown
  let position = 0
  const send = (chunk: Buffer): void => {
    hash.update(chunk)
    // Failures are kept, not thrown here: the loop stops at the next chunk, and every
    // request sent is awaited below.
    inFlight.push(calls.write(handle, remotePath, chunk, position).catch((error: unknown) => void (failure ??= error)))
    position += chunk.length
  }
  try {
    for await (const piece of source) {
      const bytes = piece as Buffer
      for (let offset = 0; offset < bytes.length; offset += WRITE_CHUNK_BYTES) {
        send(bytes.subarray(offset, offset + WRITE_CHUNK_BYTES))
        // Back-pressure: wait for the oldest request once the window is full.
        if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift()
        if (failure !== undefined) throw failure
      }
    }
  } catch (error) {
    failure ??= error
  }
  await Promise.all(inFlight)
  if (failure !== undefined) throw failure
  return {size: position, md5: hash.digest('hex')}
}
