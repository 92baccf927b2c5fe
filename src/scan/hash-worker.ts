/**
 * Worker thread body: hashes the files the pool sends, one message per file. Runs the
 * same `hashFile` as the main thread, so results are identical wherever a file is hashed.
 */
import {parentPort} from 'node:worker_threads'

import {hashFile} from './hash-file.js'

interface HashRequest {
  id: number
  path: string
}

parentPort?.on('message', (request: HashRequest) => {
  hashFile(request.path).then(
    (result) => parentPort?.postMessage({id: request.id, ...result}),
    (error: NodeJS.ErrnoException) => parentPort?.postMessage({id: request.id, error: {code: error.code, message: error.message}}),
  )
})
