import {Worker} from 'node:worker_threads'

import type {DirJob, DirResult, HashOutcome, HashTask, PairScanConfig, DirectoryPairScanner} from './directory-pair-scanner.js'

/** Work for a scanner: a few directory pairs, or a batch of files to hash. */
export type ScanRequest = {kind: 'dirs'; jobs: DirJob[]} | {kind: 'hash'; tasks: HashTask[]}

/** Runs scan requests, on this thread or on scanner threads. */
export interface ScanRunner {
  scanDirectories(jobs: DirJob[]): Promise<DirResult[]>
  hash(tasks: HashTask[]): Promise<HashOutcome[]>
  close(): Promise<void>
}

/**
 * Runs requests on this thread, synchronously, each in its own turn of the event loop:
 * results from scanner threads are taken in between, so they never wait on this lane.
 */
export class InlineRunner implements ScanRunner {
  constructor(private readonly scanner: DirectoryPairScanner) {}

  async scanDirectories(jobs: DirJob[]): Promise<DirResult[]> {
    await nextTurn()
    return jobs.map((job) => this.scanner.scanDirectory(job))
  }

  async hash(tasks: HashTask[]): Promise<HashOutcome[]> {
    await nextTurn()
    return tasks.map((task) => this.scanner.hash(task))
  }

  async close(): Promise<void> {}
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

type Reply = {id: number; result: unknown} | {id: number; error: {message: string; code?: string}}

interface Pending {
  resolve: (result: unknown) => void
  reject: (error: Error) => void
  worker: Worker
}

/**
 * Scanner threads: listing, lstat and MD5 are all work that Node does on the calling
 * thread (or through a small IO pool), so spreading directories over threads is what uses
 * every core. Requests go to the least busy thread; each thread is kept two deep, so it
 * has its next request while the main thread takes in the last result.
 */
export class ScanPool implements ScanRunner {
  private readonly workers: Worker[] = []
  private readonly load = new Map<Worker, number>()
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private failure: Error | undefined

  constructor(
    private readonly config: PairScanConfig,
    size: number,
  ) {
    try {
      this.grow(size)
    } catch (error) {
      void this.close()
      throw error
    }
  }

  /** Adds threads until there are `size`. */
  grow(size: number): void {
    while (this.workers.length < Math.max(1, size)) {
      // A small young generation: a scanner's garbage is short-lived, and the default
      // (up to 48 MB per thread) would dominate the memory of a whole plan.
      const worker = new Worker(new URL('./scan-worker.js', import.meta.url), {
        workerData: this.config,
        resourceLimits: {maxYoungGenerationSizeMb: 8},
      })
      worker.on('message', (reply: Reply) => this.settle(reply))
      worker.on('messageerror', (error) => this.fail(worker, error))
      worker.on('error', (error) => this.fail(worker, error))
      worker.on('exit', (code) => this.fail(worker, new Error(`scanner thread exited with code ${code}`)))
      this.workers.push(worker)
      this.load.set(worker, 0)
    }
  }

  /** How many requests keep every thread busy. */
  get capacity(): number {
    return this.workers.length * 2
  }

  scanDirectories(jobs: DirJob[]): Promise<DirResult[]> {
    return this.post({kind: 'dirs', jobs}) as Promise<DirResult[]>
  }

  hash(tasks: HashTask[]): Promise<HashOutcome[]> {
    return this.post({kind: 'hash', tasks}) as Promise<HashOutcome[]>
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0)
    for (const worker of workers) worker.removeAllListeners('exit')
    await Promise.all(workers.map((w) => w.terminate()))
  }

  /** Stops now: every request still out fails with `error`, and the threads are stopped mid-file. */
  abort(error: Error): Promise<void> {
    this.failure ??= error
    for (const [id, job] of this.pending) {
      this.pending.delete(id)
      job.reject(error)
    }
    return this.close()
  }

  private post(request: ScanRequest): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure)
    let worker = this.workers[0]!
    for (const w of this.workers) if (this.load.get(w)! < this.load.get(worker)!) worker = w
    const id = this.nextId++
    this.load.set(worker, this.load.get(worker)! + 1)
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject, worker})
      worker.postMessage({id, request})
    })
  }

  private settle(reply: Reply): void {
    const job = this.pending.get(reply.id)
    if (!job) return
    this.pending.delete(reply.id)
    this.load.set(job.worker, this.load.get(job.worker)! - 1)
    if ('error' in reply) job.reject(Object.assign(new Error(reply.error.message), {code: reply.error.code}))
    else job.resolve(reply.result)
  }

  /** A thread died: everything it held fails, and so does everything after. */
  private fail(worker: Worker, error: Error): void {
    this.failure ??= error
    for (const [id, job] of this.pending) {
      if (job.worker !== worker) continue
      this.pending.delete(id)
      job.reject(error)
    }
  }
}

/**
 * Where the next request runs: a free slot on the scanner threads (two per thread, so
 * each has its next request while its last result travels), else this thread, one
 * request at a time.
 */
export class Lanes {
  private pool: ScanPool | undefined
  private poolBusy = 0
  private inlineBusy = false

  constructor(private readonly inline: InlineRunner) {}

  add(pool: ScanPool): void {
    this.pool = pool
  }

  get size(): number {
    return (this.pool?.capacity ?? 0) + 1
  }

  /** A runner with a free slot, or undefined; `release` it when its request settles. */
  acquire(): ScanRunner | undefined {
    if (this.pool && this.poolBusy < this.pool.capacity) {
      this.poolBusy++
      return this.pool
    }
    if (this.inlineBusy) return undefined
    this.inlineBusy = true
    return this.inline
  }

  release(runner: ScanRunner): void {
    if (runner === this.inline) this.inlineBusy = false
    else this.poolBusy--
  }
}
