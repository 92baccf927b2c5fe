import assert from 'node:assert/strict'
import {test} from 'node:test'

import {runWatchLoop, type Timers} from '../../src/index.js'
import {MAX_TIMER_MS} from '../../src/watch/watch-loop.js'

/**
 * A clock that jumps: each timer fires on the next turn of the event loop with the clock
 * moved on by its delay. Like Node, a delay above MAX_TIMER_MS fires after 1 ms.
 */
function jumpingClock() {
  let time = 0
  const delays: number[] = []
  const timers: Timers = {
    setTimeout(callback, ms) {
      delays.push(ms)
      return setImmediate(() => {
        time += ms > MAX_TIMER_MS ? 1 : ms
        callback()
      })
    },
    clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
  }
  return {now: () => time, timers, delays}
}

test('a 30-day interval waits 30 days between cycles, in chunks no timer overflows on', async () => {
  const clock = jumpingClock()
  const thirtyDays = 30 * 24 * 3600 * 1000
  const stop = new AbortController()
  const starts: number[] = []
  const cycles = await runWatchLoop({
    intervalMs: thirtyDays,
    signal: stop.signal,
    now: clock.now,
    timers: clock.timers,
    cycle: async () => {
      starts.push(clock.now())
      if (starts.length === 3) stop.abort()
    },
  })
  assert.equal(cycles, 3)
  assert.deepEqual(starts, [0, thirtyDays, 2 * thirtyDays])
  assert.ok(clock.delays.every((ms) => ms > 0 && ms <= MAX_TIMER_MS), `delays asked for: ${clock.delays.join(', ')}`)
})

test('a change cuts a long wait short, and an abort ends it', async () => {
  const stop = new AbortController()
  let wake: (() => void) | undefined
  let n = 0
  const cycles = await runWatchLoop({
    intervalMs: 365 * 24 * 3600 * 1000,
    signal: stop.signal,
    changes: (w) => {
      wake = w
      return () => (wake = undefined)
    },
    cycle: async () => {
      n++
      // After the first cycle a change arrives; after the second, a signal.
      setTimeout(() => (n === 1 ? wake?.() : stop.abort()), 10)
    },
  })
  assert.equal(cycles, 2)
  assert.equal(wake, undefined, 'unsubscribed at the end')
})
