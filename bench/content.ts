import {closeSync, futimesSync, openSync, writeSync} from 'node:fs'

import type {FileSpec} from './layout.js'
import {hash32, Prng} from './prng.js'

const POOL_BYTES = 16 * 1024 * 1024
const BLOCK_BYTES = 1024 * 1024
const CHUNK_BLOCKS = 4

/**
 * Writes file contents that look random (incompressible, distinct per file) without running
 * a generator over every byte: a seeded 16 MiB pool is generated once, and each 1 MiB block
 * of a file is a pool slice chosen by a hash, stamped with its file, variant and block
 * numbers. Buffers are reused, so writing gigabytes allocates nothing per file.
 */
export class ContentWriter {
  private readonly pool = Buffer.allocUnsafeSlow(POOL_BYTES)
  private readonly chunk = Buffer.allocUnsafeSlow(BLOCK_BYTES * CHUNK_BLOCKS)

  constructor(seed: number) {
    new Prng(seed, 0x706f6f6c).fill(this.pool)
  }

  /** Creates or truncates `absolutePath` with the file's bytes, mode 0644 and mtime. */
  writeFile(absolutePath: string, file: FileSpec): void {
    const fd = openSync(absolutePath, 'w', 0o644)
    try {
      for (let offset = 0; offset < file.size; ) {
        const length = this.fillChunk(file, offset)
        writeSync(fd, this.chunk, 0, length)
        offset += length
      }
      futimesSync(fd, file.mtime, file.mtime)
    } finally {
      closeSync(fd)
    }
  }

  /** Fills `chunk` with the file's bytes from `offset` (a multiple of the chunk size); returns how many. */
  private fillChunk(file: FileSpec, offset: number): number {
    const length = Math.min(this.chunk.length, file.size - offset)
    for (let at = 0; at < length; at += BLOCK_BYTES) {
      const block = (offset + at) / BLOCK_BYTES
      const take = Math.min(BLOCK_BYTES, length - at)
      const key = hash32(file.contentKey, block)
      const start = key % (POOL_BYTES - BLOCK_BYTES)
      this.pool.copy(this.chunk, at, start, start + take)
      this.stamp(at, take, [file.index, file.variant, block])
    }
    return length
  }

  /** Overwrites the first bytes of a block with identifying numbers, so no two blocks are equal. */
  private stamp(at: number, take: number, numbers: number[]): void {
    for (const [i, n] of numbers.entries()) {
      if ((i + 1) * 4 > take) return
      this.chunk.writeUInt32LE(n >>> 0, at + i * 4)
    }
  }
}
