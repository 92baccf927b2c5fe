import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'

import type {Backend, BackendEntry, ContentHash, ListedEntry} from '../../src/backend/backend.js'
import {FULL_CAPABILITIES} from '../../src/backend/capabilities.js'
import {baseName, parentPath} from '../../src/tree/paths.js'

/** A fixed instant for contract files (2024-01-02T03:04:05.000Z): whole seconds, even, so FAT keeps it. */
export const CONTRACT_MTIME_MS = 1_704_164_644_000

interface MemoryFile {
  data: Buffer
  mtimeMs: number
  mode: number
  /** Bumped by every change: the change token. */
  version: number
}

/**
 * A read-only tree of files held in memory: the source the contract suite copies from, so
 * any backend's writes can be tested without a second backend of its kind. Its streams
 * can be held half-way (`holdAfter`) or made to fail, to see what a reader of the
 * destination meanwhile sees.
 */
export class MemorySource implements Backend {
  readonly root = 'memory:'
  readonly capabilities = FULL_CAPABILITIES
  private readonly files = new Map<string, MemoryFile>()
  private hold: {afterBytes: number; reached: () => void; release: Promise<void>; fail: boolean} | undefined

  /** Adds or replaces a file. */
  put(path: string, content: string | Buffer, mtimeMs = CONTRACT_MTIME_MS, mode = 0o644): void {
    const version = (this.files.get(path)?.version ?? 0) + 1
    this.files.set(path, {data: Buffer.from(content), mtimeMs, mode, version})
  }

  /**
   * The next stream stops after `afterBytes` bytes; the returned promise settles when it
   * is there. It goes on (or, with `fail`, errors) once `release` settles.
   */
  holdNextRead(afterBytes: number, release: Promise<void>, fail = false): Promise<void> {
    return new Promise((reached) => (this.hold = {afterBytes, reached, release, fail}))
  }

  async list(dir: string): Promise<ListedEntry[]> {
    return [...this.files.keys()].filter((p) => parentPath(p) === dir).map((p) => ({name: baseName(p), ...this.entry(p)!}))
  }

  async stat(path: string): Promise<BackendEntry | undefined> {
    return this.entry(path)
  }

  async hash(path: string, limit = Number.POSITIVE_INFINITY): Promise<ContentHash> {
    const data = this.file(path).data.subarray(0, limit)
    return {md5: createHash('md5').update(data).digest('hex'), size: data.length}
  }

  async openRead(path: string): Promise<Readable> {
    const data = this.file(path).data
    const hold = this.hold
    this.hold = undefined
    if (!hold) return Readable.from([data])
    return Readable.from(
      (async function* () {
        yield data.subarray(0, hold.afterBytes)
        hold.reached()
        await hold.release
        if (hold.fail) throw Object.assign(new Error('connection lost'), {code: 'ECONNRESET'})
        yield data.subarray(hold.afterBytes)
      })(),
    )
  }

  writeFile(): Promise<void> {
    return readOnly()
  }

  symlink(): Promise<void> {
    return readOnly()
  }

  mkdir(): Promise<void> {
    return readOnly()
  }

  rmdir(): Promise<void> {
    return readOnly()
  }

  remove(): Promise<void> {
    return readOnly()
  }

  move(): Promise<void> {
    return readOnly()
  }

  setMetadata(): Promise<void> {
    return readOnly()
  }

  async close(): Promise<void> {}

  private file(path: string): MemoryFile {
    const file = this.files.get(path)
    if (!file) throw Object.assign(new Error(`ENOENT: no such file, ${path}`), {code: 'ENOENT', path})
    return file
  }

  private entry(path: string): BackendEntry | undefined {
    const file = this.files.get(path)
    if (!file) return undefined
    return {type: 'file', size: file.data.length, mtimeNs: BigInt(file.mtimeMs) * 1_000_000n, mode: file.mode, changeToken: String(file.version)}
  }
}

function readOnly(): Promise<never> {
  return Promise.reject(new Error('the memory source is read-only'))
}
