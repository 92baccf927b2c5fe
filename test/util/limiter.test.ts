import assert from 'node:assert/strict'
import {setTimeout as sleep} from 'node:timers/promises'
import {test} from 'node:test'

import {createLimiter} from '../../src/util/limiter.js'

test('never runs more tasks at once than the limit, and runs them all', async () => {
  const limit = createLimiter(3)
  let inFlight = 0
  let peak = 0
  const results = await Promise.all(
    Array.from({length: 20}, (_, i) =>
      limit(async () => {
        inFlight++
        peak = Math.max(peak, inFlight)
        await sleep(1 + (i % 3))
        inFlight--
        return i
      }),
    ),
  )
  assert.equal(peak, 3)
  assert.deepEqual(results, Array.from({length: 20}, (_, i) => i))
})

test('continues after a failing task and frees its slot', async () => {
  const limit = createLimiter(1)
  const failing = limit(async () => {
    throw new Error('boom')
  })
  await assert.rejects(failing, /boom/)
  assert.equal(await limit(async () => 'next'), 'next')
})
