import {Worker} from 'node:worker_threads'

import type {CopyJob} from './copy-into-place.js'
import {fromWire, type CopyBatch, type CopyOutcomes, type CopyRoots} from './copy-wire.js'

interface Slot {
  worker: Worker
  inFlight: number
  error?: Error
}

interface Pending {
  resolve: () => void
  reject: (error: Error) => void
  /** The worker it was sent to; none while it waits for the next flush. */
  slot?: Slot
}

/**
 * Worker threads making file copies (`copy-worker.ts`). Through `fs/promises` each of a
 * copy's dozen system calls is a round trip to libuv's thread pool; a worker makes them
 * back to back, so many small files go several times faster. Copies requested in the same
 * turn of the event loop go out together, spread over the least busy workers. Close the
 * pool when done.
 */
export class CopyPool {
  /** Worker threads started. */
  readonly size: number
  private readonly slots: Slot[] = []
  private readonly pending = new Map<number, Pending>()
  private queue: CopyBatch['jobs'] = []
  private flushScheduled = false
  private nextId = 0
  private closed = false

  constructor(roots: CopyRoots, size: number) {
    this.size = Math.max(1, size)
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = {worker: new Worker(new URL('./copy-worker.js', import.meta.url), {workerData: roots}), inFlight: 0}
      slot.worker.on('message', (reply: CopyOutcomes) => this.settle(reply))
      slot.worker.on('error', (error) => (slot.error ??= error))
      slot.worker.on('exit', () => this.lose(slot))
      this.slots.push(slot)
    }
  }

  /** Copies a file from under `sourceRoot` into place in a worker; rejects as `copyIntoPlace` would. */
  run(sourceRoot: string, job: CopyJob): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.pending.set(id, {resolve, reject})
      this.queue.push({id, sourceRoot, job})
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }

  private flush(): void {
    this.flushScheduled = false
    const batches = new Map<Slot, CopyBatch['jobs']>()
    for (const job of this.queue) {
      const pending = this.pending.get(job.id)!
      if (this.slots.length === 0) {
        this.pending.delete(job.id)
        pending.reject(new Error(this.closed ? 'the copy pool is closed' : 'no copy worker is left'))
        continue
      }
      let slot = this.slots[0]!
      for (const s of this.slots) if (s.inFlight < slot.inFlight) slot = s
      slot.inFlight++
      pending.slot = slot
      const batch = batches.get(slot)
      if (batch) batch.push(job)
      else batches.set(slot, [job])
    }
    this.queue = []
    for (const [slot, jobs] of batches) slot.worker.postMessage({jobs} satisfies CopyBatch)
  }

  private settle(reply: CopyOutcomes): void {
    for (const {id, error} of reply.outcomes) {
      const job = this.pending.get(id)
      if (!job) continue
      this.pending.delete(id)
      job.slot!.inFlight--
      if (error) job.reject(fromWire(error))
      else job.resolve()
    }
  }

  /** A worker that stops takes the copies it was sent with it; the others go on. */
  private lose(slot: Slot): void {
    this.slots.splice(this.slots.indexOf(slot), 1)
    const error = slot.error ?? new Error('a copy worker stopped')
    for (const [id, job] of this.pending) {
      if (job.slot !== slot) continue
      this.pending.delete(id)
      job.reject(error)
    }
  }
}
