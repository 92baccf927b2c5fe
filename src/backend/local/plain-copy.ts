import {closeSync, constants, fchmodSync, fstatSync, openSync, readSync, unlinkSync, writeSync} from 'node:fs'
import {open, unlink} from 'node:fs/promises'

/** As the hashing reads open files: never through a swapped-in symlink, never blocked on a FIFO. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL
const CHUNK_BYTES = 256 * 1024

/**
 * True for a kernel copy that failed only because the filesystem lacks a call it makes:
 * FUSE filesystems such as fusefat implement neither copy_file_range nor fchmod (ENOSYS).
 * libuv created the destination exclusively before failing, so it is ours to remove.
 */
export function copyUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOSYS' || code === 'ENOTSUP' || code === 'EOPNOTSUPP'
}

/**
 * Copies by reads and writes into a new file created exclusively, keeping the source's
 * mode where the filesystem can (as the kernel copy does): the fallback when it cannot.
 */
export async function plainCopy(source: string, destination: string): Promise<void> {
  await unlink(destination).catch(() => undefined)
  const from = await open(source, READ_FLAGS)
  try {
    const mode = Number((await from.stat()).mode & 0o7777)
    const to = await open(destination, WRITE_FLAGS, 0o600)
    try {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
      for (let n; (n = (await from.read(buffer, 0, CHUNK_BYTES, null)).bytesRead) > 0; ) await to.write(buffer, 0, n)
      await to.chmod(mode).catch(() => undefined)
    } finally {
      await to.close()
    }
  } finally {
    await from.close()
  }
}

/** `plainCopy`, blocking (for copy workers). */
export function plainCopySync(source: string, destination: string): void {
  try {
    unlinkSync(destination)
  } catch {
    // Not there: libuv removed it, or never made it.
  }
  const from = openSync(source, READ_FLAGS)
  try {
    const mode = Number(fstatSync(from).mode & 0o7777)
    const to = openSync(destination, WRITE_FLAGS, 0o600)
    try {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
      for (let n; (n = readSync(from, buffer, 0, CHUNK_BYTES, null)) > 0; ) writeSync(to, buffer, 0, n)
      try {
        fchmodSync(to, mode)
      } catch {
        // A filesystem without modes (FAT): nothing to keep.
      }
    } finally {
      closeSync(to)
    }
  } finally {
    closeSync(from)
  }
}
