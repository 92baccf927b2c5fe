import assert from 'node:assert/strict'
import {test} from 'node:test'
import {Worker} from 'node:worker_threads'

import {isTempName, makeTempName} from '../../src/tree/temp-name.js'

test('temporary names have the one shape the scanner skips, and never repeat in a thread', () => {
  const names = Array.from({length: 10_000}, () => makeTempName())
  assert.ok(names.every(isTempName), names.find((n) => !isTempName(n)))
  assert.equal(new Set(names).size, names.length)
  assert.equal(isTempName('.treesync-0123456789abcdef.tmp'), true)
  assert.equal(isTempName('.treesync-0123456789abcdeg.tmp'), false)
  assert.equal(isTempName('treesync-0123456789abcdef.tmp'), false)
})

test('each thread names its temporaries apart from the others', async () => {
  const url = new URL('../../src/tree/temp-name.js', import.meta.url).href
  const fromWorker = await new Promise<string>((resolve, reject) => {
    const worker = new Worker(`import(${JSON.stringify(url)}).then((m) => require('node:worker_threads').parentPort.postMessage(m.makeTempName()))`, {eval: true})
    worker.once('message', (name: string) => {
      resolve(name)
      void worker.terminate()
    })
    worker.once('error', reject)
  })
  assert.ok(isTempName(fromWorker))
  // Both threads start counting at 1: only their random halves keep the names apart.
  assert.notEqual(fromWorker.slice(0, 18), makeTempName().slice(0, 18))
})
