import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {hashFile} from '../../src/index.js'
import {HashPool} from '../../src/scan/hash-pool.js'
import {tempDir} from '../helpers/temp-dir.js'

test('worker threads hash files exactly as the main thread does, several at once', async (t) => {
  const dir = await tempDir(t)
  const files = await Promise.all(
    [0, 1, 2, 3, 4].map(async (i) => {
      const path = join(dir, `f${i}`)
      await writeFile(path, Buffer.alloc(600_000 + i * 1_234_567, i + 1))
      return path
    }),
  )
  const pool = new HashPool(2)
  t.after(() => pool.close())
  const fromWorkers = await Promise.all(files.map((f) => pool.hash(f)))
  const fromMain = await Promise.all(files.map((f) => hashFile(f)))
  assert.deepEqual(fromWorkers, fromMain)
})

test('a worker reports a file it cannot read as an error with its code', async (t) => {
  const dir = await tempDir(t)
  const pool = new HashPool(1)
  t.after(() => pool.close())
  await assert.rejects(pool.hash(join(dir, 'missing')), (error: NodeJS.ErrnoException) => error.code === 'ENOENT')
  await writeFile(join(dir, 'ok'), 'still works after an error')
  assert.equal((await pool.hash(join(dir, 'ok'))).size, 26)
})
