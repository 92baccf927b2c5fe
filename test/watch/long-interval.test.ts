import assert from 'node:assert/strict'
import {readdir} from 'node:fs/promises'
import {describe, test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {runCli} from '../helpers/cli.js'
import {cycleLines, longRunScene as scene} from './long-run-support.js'
import {eventually, logLines, startCli} from './watch-process.js'

describe('watch intervals', () => {
  test('a 30-day interval waits after the first cycle instead of looping (no timer overflow)', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '--interval', '2592000', '--log-file', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycleLines(s.log)).length >= 1, 10_000, 'the first cycle')
    await sleep(1500)
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
    assert.equal((await cycleLines(s.log)).length, 1, 'one cycle, then a wait')
    assert.doesNotMatch(watch.output(), /TimeoutOverflowWarning/)
    assert.match((await logLines(s.log)).at(-1)!, / INFO watch stopped after 1 cycles$/)
  })

  for (const [interval, message] of [
    ['0.001', 'INTERVAL must be at least 0.05 seconds, got "0.001"'],
    ['1e-9', 'INTERVAL must be at least 0.05 seconds, got "1e-9"'],
    ['31536001', 'INTERVAL must be at most 31536000 seconds (365 days), got "31536001"'],
  ]) {
    test(`INTERVAL ${interval} is refused with one line, before anything is created`, async (t) => {
      const s = await scene(t)
      const result = await runCli(['watch', s.source, s.replica, interval!])
      assert.equal(result.code, 1)
      assert.equal(result.stderr, `Error: ${message}\n`)
      assert.ok(!(await readdir(s.root)).includes('replica'), 'nothing created')
    })
  }
})
