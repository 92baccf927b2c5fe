import {closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync} from 'node:fs'

import {tempPathBeside} from '../tree/temp-name.js'
import {comparePaths} from '../tree/paths.js'
import {decodeField, encodeField} from './packed-hashes.js'

/**
 * The file of one tree's hash cache: the records of each directory as one chunk, then an
 * index of where each chunk is. Scanner threads read the chunks of the directories they
 * scan straight from the file (threads share the process's descriptors), so no thread
 * holds the whole cache; the file is rewritten, once, only when records changed.
 *
 *     treesync-hash-cache 2 TAB "root"
 *     /dir                       ← a chunk: its directory, then its records
 *     name TAB size TAB …
 *     #index
 *     offset TAB length TAB dir  ← one line per chunk
 *     #end TAB indexOffset
 */

const HEADER = 'treesync-hash-cache 2'
const TAIL_BYTES = 64
const WRITE_BYTES = 1024 * 1024

/** Where a directory's chunk is in the file. */
export interface ChunkSpan {
  offset: number
  length: number
}

/** Reads exactly `length` bytes at `offset` (fewer only at the end of the file). */
function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const n = readSync(fd, buffer, filled, length - filled, offset + filled)
    if (n === 0) break
    filled += n
  }
  return buffer.subarray(0, filled)
}

/**
 * Checks the header and reads the index of an open cache file. Throws an Error saying
 * what is wrong with a file that is foreign, of another version or damaged.
 */
export function readIndex(fd: number, root: string): Map<string, ChunkSpan> {
  const size = fstatSync(fd).size
  const expected = headerOf(root)
  const head = readAt(fd, 0, Math.min(size, Buffer.byteLength(expected))).toString('utf8')
  if (head !== expected) {
    throw new Error(head.startsWith(HEADER + '\t') ? 'it belongs to another tree' : 'not a treesync hash cache of this version')
  }
  const tail = readAt(fd, Math.max(0, size - TAIL_BYTES), Math.min(size, TAIL_BYTES)).toString('latin1')
  const end = /#end\t(\d+)\n$/.exec(tail)
  const indexOffset = end ? Number(end[1]) : NaN
  if (!(indexOffset >= head.length && indexOffset < size)) throw new Error('its index is missing')
  const lines = readAt(fd, indexOffset, size - indexOffset).toString('utf8').split('\n')
  if (lines[0] !== '#index') throw new Error('its index is damaged')
  const index = new Map<string, ChunkSpan>()
  for (let i = 1; i < lines.length - 2; i++) {
    const [offset, length, dir] = lines[i]!.split('\t')
    const span = {offset: Number(offset), length: Number(length)}
    if (dir === undefined || !(span.offset >= head.length && span.length > 0 && span.offset + span.length <= indexOffset)) {
      throw new Error('its index is damaged')
    }
    index.set(decodeField(dir), span)
  }
  return index
}

/** The records of one directory's chunk. Throws if the bytes there are not that chunk. */
export function readChunkAt(fd: number, span: ChunkSpan, dir: string): string {
  const text = readAt(fd, span.offset, span.length).toString('utf8')
  const first = `/${encodeField(dir)}\n`
  if (!text.startsWith(first)) throw new Error(`the chunk of ${dir === '' ? '.' : dir} is damaged`)
  return text.slice(first.length)
}

function headerOf(root: string): string {
  return `${HEADER}\t${JSON.stringify(root)}\n`
}

/**
 * Writes a cache file atomically (temporary file + rename) with the records of `dirs`,
 * in path order; directories without records are left out.
 */
export function writeCacheFile(file: string, root: string, dirs: Iterable<string>, recordsOf: (dir: string) => string): void {
  const temp = tempPathBeside(file)
  const fd = openSync(temp, 'wx', 0o600)
  let open = true
  try {
    // Chunks are gathered into large writes: one system call per chunk would cost more
    // than the bytes (a directory's records are a few KiB).
    let offset = 0
    let pending: string[] = []
    let pendingBytes = 0
    const flush = (): void => {
      const bytes = Buffer.from(pending.join(''), 'utf8')
      let done = 0
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done)
      pending = []
      pendingBytes = 0
    }
    const write = (text: string): void => {
      const length = Buffer.byteLength(text, 'utf8')
      pending.push(text)
      pendingBytes += length
      offset += length
      if (pendingBytes >= WRITE_BYTES) flush()
    }
    write(headerOf(root))
    const index: string[] = ['#index\n']
    for (const dir of [...dirs].sort(comparePaths)) {
      const records = recordsOf(dir)
      if (records === '') continue
      const start = offset
      write(`/${encodeField(dir)}\n${records}`)
      index.push(`${start}\t${offset - start}\t${encodeField(dir)}\n`)
    }
    const indexOffset = offset
    write(index.join('') + `#end\t${indexOffset}\n`)
    flush()
    open = false
    closeSync(fd)
    renameSync(temp, file)
  } catch (error) {
    // Closed once only: the number may already belong to another thread's file.
    if (open) closeSync(fd)
    try {
      unlinkSync(temp)
    } catch {
      // never created, or already renamed
    }
    throw error
  }
}
