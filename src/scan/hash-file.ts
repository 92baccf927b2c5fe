import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {open} from 'node:fs/promises'

/** Large reads keep syscall overhead low; one buffer per hash keeps memory constant. */
const CHUNK_BYTES = 1024 * 1024
/** Buffers are reused across hashes: allocating 1 MiB per small file is mostly GC work. */
const spareBuffers: Buffer[] = []
const MAX_SPARE_BUFFERS = 32

/** MD5 of a file and the number of bytes hashed (the file may change under us). */
export interface FileHash {
  md5: string
  size: number
}

/**
 * Hashes a regular file in fixed-size chunks, so a 10 GB file costs one buffer. Opens
 * with O_NOFOLLOW: a file swapped for a symlink since it was listed is an error, not a
 * read of whatever the link points to.
 */
export async function hashFile(absPath: string): Promise<FileHash> {
  const handle = await open(absPath, constants.O_RDONLY | constants.O_NOFOLLOW)
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)
  try {
    const hash = createHash('md5')
    let size = 0
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, CHUNK_BYTES, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      size += bytesRead
    }
    return {md5: hash.digest('hex'), size}
  } finally {
    if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer)
    await handle.close()
  }
}
