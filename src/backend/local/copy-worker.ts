/**
 * Worker thread body: makes the file copies the pool sends with blocking system calls, so
 * a file's whole sequence (checks, copy, mode, mtime, rename) runs here without a hop to
 * the thread pool per call. Runs the same `copyIntoPlace` as the main thread.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {copyIntoPlace, type CopyContext} from './copy-into-place.js'
import {toWire, type CopyBatch, type CopyOutcomes, type CopyRoots} from './copy-wire.js'
import {syncIo} from './file-io.js'
import {RootedTree} from './rooted-tree.js'

/** Outcomes go back in groups this size, so the main thread can refill while we work on. */
const REPLY_EVERY = 16

const roots = workerData as CopyRoots
const tree = new RootedTree(roots.replica, syncIo)
/** A context per source root, made on its first copy (one source in practice). */
const contexts = new Map<string, CopyContext>()

function contextFor(sourceRoot: string): CopyContext {
  let ctx = contexts.get(sourceRoot)
  if (!ctx) contexts.set(sourceRoot, (ctx = {source: new RootedTree(sourceRoot, syncIo), tree, io: syncIo, mtimeAfterRename: roots.mtimeAfterRename}))
  return ctx
}

parentPort?.on('message', async (batch: CopyBatch) => {
  let outcomes: CopyOutcomes['outcomes'] = []
  for (const {id, sourceRoot, job} of batch.jobs) {
    try {
      await copyIntoPlace(job, contextFor(sourceRoot))
      outcomes.push({id})
    } catch (error) {
      outcomes.push({id, error: toWire(error)})
    }
    if (outcomes.length >= REPLY_EVERY) {
      parentPort?.postMessage({outcomes} satisfies CopyOutcomes)
      outcomes = []
    }
  }
  if (outcomes.length > 0) parentPort?.postMessage({outcomes} satisfies CopyOutcomes)
})
