/**
 * Scanner thread body: runs directory jobs and hash tasks for the pool, one message each.
 * The work itself is DirectoryPairScanner's, the same code that runs inline for small trees.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {DirectoryPairScanner, type PairScanConfig} from './directory-pair-scanner.js'
import type {ScanRequest} from './scan-pool.js'

const scanner = new DirectoryPairScanner(workerData as PairScanConfig)

parentPort?.on('message', ({id, request}: {id: number; request: ScanRequest}) => {
  try {
    const result = request.kind === 'dirs' ? request.jobs.map((job) => scanner.scanDirectory(job)) : request.tasks.map((task) => scanner.hash(task))
    parentPort?.postMessage({id, result})
  } catch (error) {
    parentPort?.postMessage({id, error: {message: (error as Error).message ?? String(error), code: (error as NodeJS.ErrnoException).code}})
  }
})
