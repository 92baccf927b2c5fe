import {Readable} from 'node:stream'

import type {SftpCalls, SftpHandle} from './sftp-calls.js'

/**
 * Most bytes per READ request: what OpenSSH answers (255 KiB), or less when the server
 * says so (ssh2 would split a larger ask into requests made one after another). Loopback
 * downloads are CPU-bound, per request: 64 KiB requests ran at 190–310 MiB/s, 255 KiB
 * ones at 440–720 MiB/s (ssh2's `createReadStream`, one 64 KiB request at a time: 56).
 */
export const READ_CHUNK_BYTES = 255 * 1024

/**
 * READ requests in flight at once: 16 × 255 KiB is 4 MiB asked ahead, so the 2 MiB
 * channel window, not a round trip per request, limits a long-distance download.
 */
export const READS_IN_FLIGHT = 16

/**
 * A stream of an open remote file's bytes from offset 0 (up to `limit`), read ahead with
 * several READ requests in flight and delivered in order. The handle is closed when the
 * stream ends, fails or is destroyed. A short answer in the middle (a server may send
 * fewer bytes than asked) is completed before going on; an empty one is the end.
 */
export function pipelinedRead(calls: SftpCalls, handle: SftpHandle, remotePath: string, limit = Number.POSITIVE_INFINITY): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const ahead: Array<{position: number; length: number; bytes: Promise<Buffer>}> = []
    let next = 0
    const ask = (position: number, length: number): {position: number; length: number; bytes: Promise<Buffer>} => {
      const bytes = calls.read(handle, remotePath, length, position)
      // Read-ahead answers may never be awaited (the stream stopped early): not unhandled.
      bytes.catch(() => undefined)
      return {position, length, bytes}
    }
    const chunkBytes = Math.min(READ_CHUNK_BYTES, calls.maxReadBytes)
    const fill = (): void => {
      while (ahead.length < READS_IN_FLIGHT && next < limit) {
        const length = Math.min(chunkBytes, limit - next)
        ahead.push(ask(next, length))
        next += length
      }
    }
    try {
      fill()
      while (ahead.length > 0) {
        let request = ahead.shift()!
        for (;;) {
          const bytes = await request.bytes
          if (bytes.length === 0) return
          yield bytes
          if (bytes.length === request.length) break
          request = ask(request.position + bytes.length, request.length - bytes.length)
        }
        fill()
      }
    } finally {
      await calls.close(handle, remotePath).catch(() => undefined)
    }
  }
  return Readable.from(chunks(), {objectMode: false, highWaterMark: READ_CHUNK_BYTES})
}
