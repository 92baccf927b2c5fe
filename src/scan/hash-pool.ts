import {availableParallelism} from 'node:os'
import {Worker} from 'node:worker_threads'

import type {FileHash} from './hash-file.js'

type Reply = {id: number; md5: string; size: number} | {id: number; error: {code?: string; message: string}}

/**
 * A pool of worker threads hashing files in parallel: MD5 is CPU work and Node hashes on
 * the calling thread, so on N cores N workers hash N files at once. Each worker takes one
 * file at a time; the pool keeps them all busy. Close it when done.
 */
export class HashPool {
  private readonly workers: Worker[] = []
  private readonly idle: Worker[] = []
  private readonly queue: Array<{path: string; resolve: (r: FileHash) => void; reject: (e: Error) => void}> = []
  private readonly pending = new Map<number, {resolve: (r: FileHash) => void; reject: (e: Error) => void; worker: Worker}>()
  private nextId = 0

  constructor(size = Math.min(4, availableParallelism())) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(new URL('./hash-worker.js', import.meta.url))
      worker.on('message', (reply: Reply) => this.settle(reply))
      this.workers.push(worker)
      this.idle.push(worker)
    }
  }

  hash(path: string): Promise<FileHash> {
    return new Promise((resolve, reject) => {
      this.queue.push({path, resolve, reject})
      this.dispatch()
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!
      const job = this.queue.shift()!
      const id = this.nextId++
      this.pending.set(id, {resolve: job.resolve, reject: job.reject, worker})
      worker.postMessage({id, path: job.path})
    }
  }

  private settle(reply: Reply): void {
    const job = this.pending.get(reply.id)
    if (!job) return
    this.pending.delete(reply.id)
    this.idle.push(job.worker)
    if ('error' in reply) job.reject(Object.assign(new Error(reply.error.message), {code: reply.error.code}))
    else job.resolve({md5: reply.md5, size: reply.size})
    this.dispatch()
  }
}
