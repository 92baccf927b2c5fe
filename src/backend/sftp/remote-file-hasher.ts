import {createHash} from 'node:crypto'

import type {ContentHash} from '../backend.js'
import {pipelinedRead} from './pipelined-read.js'
import type {RemoteMd5} from './remote-md5.js'
import type {SftpCalls, SftpHandle} from './sftp-calls.js'

/** Files below this are always read: a command costs at least a channel and a process. */
export const REMOTE_MD5_MIN_BYTES = 1024 * 1024

/** Read speed assumed until one is measured (bytes per ms, 100 MiB/s: a LAN). */
const ASSUMED_READ_BYTES_PER_MS = (100 * 1024 * 1024) / 1000

/**
 * Hashes remote files by the cheaper of two ways: reading them over SFTP, or `md5sum` on
 * the server (`RemoteMd5`), which sends no data but costs a command's start, measured by
 * the probe: 20–50 ms on a plain server, over a second on one whose `.bashrc` does much
 * (this test machine's runs pyenv). md5sum is used when reading the file would take
 * longer than twice that, at the read speed measured so far: on a slow link, for almost
 * every file; on loopback, only for large ones.
 */
export class RemoteFileHasher {
  private readBytesPerMs = ASSUMED_READ_BYTES_PER_MS

  constructor(
    private readonly calls: SftpCalls,
    private readonly md5: RemoteMd5,
  ) {}

  /**
   * MD5 of the first `limit` bytes of a regular file at an absolute remote path, whose
   * lstat the caller took (`size`, `mtime`) after checking it is contained and not a
   * symlink; `open` opens it for reading, when it is read.
   */
  async hash(remotePath: string, attrs: {size: number; mtime: number}, limit: number, open: () => Promise<SftpHandle>): Promise<ContentHash> {
    if (attrs.size >= REMOTE_MD5_MIN_BYTES && limit >= attrs.size && (await this.md5Pays(attrs.size))) {
      const md5 = await this.md5.md5Of(remotePath)
      // The size hashed is known only if the file kept its size and mtime while md5sum read it.
      const after = md5 && (await this.calls.lstat(remotePath))
      if (md5 && after && after.size === attrs.size && after.mtime === attrs.mtime) return {md5, size: attrs.size}
    }
    return this.read(remotePath, limit, open)
  }

  private async md5Pays(size: number): Promise<boolean> {
    if (!(await this.md5.available())) return false
    return size / this.readBytesPerMs > 2 * this.md5.commandCostMs
  }

  private async read(remotePath: string, limit: number, open: () => Promise<SftpHandle>): Promise<ContentHash> {
    const started = performance.now()
    const hash = createHash('md5')
    let size = 0
    for await (const chunk of pipelinedRead(this.calls, await open(), remotePath, limit)) {
      hash.update(chunk as Buffer)
      size += (chunk as Buffer).length
    }
    // Small reads measure round trips, not speed: only large ones update the estimate.
    if (size >= REMOTE_MD5_MIN_BYTES) this.readBytesPerMs = size / Math.max(performance.now() - started, 1)
    return {md5: hash.digest('hex'), size}
  }
}
