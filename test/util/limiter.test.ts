import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {Limiter} from '../../src/util/limiter.js'

describe('Limiter', () => {
  test('runs at most its limit at once, every task once, and passes results and failures through', async () => {
    const limiter = new Limiter(3)
    let now = 0
    let most = 0
    const results = await Promise.all(
      Array.from({length: 20}, (_, i) =>
        limiter.run(async () => {
          most = Math.max(most, ++now)
          await new Promise((resolve) => setTimeout(resolve, 1))
          now--
          return i
        }),
      ),
    )
    assert.deepEqual(results, Array.from({length: 20}, (_, i) => i))
    assert.equal(most, 3)
    await assert.rejects(limiter.run(async () => Promise.reject(new Error('boom'))), /boom/)
    assert.equal(limiter.inFlight, 0, 'a failed task gives its slot back')
  })

  test('lifo serves the newest waiting task first, fifo the oldest', async () => {
    for (const order of ['lifo', 'fifo'] as const) {
      const limiter = new Limiter(1, order)
      const started: number[] = []
      await Promise.all([0, 1, 2, 3].map((i) => limiter.run(async () => void started.push(i))))
      assert.deepEqual(started, order === 'lifo' ? [0, 3, 2, 1] : [0, 1, 2, 3])
    }
  })

  test('a limit below one is refused', () => {
    assert.throws(() => new Limiter(0), RangeError)
  })
})
