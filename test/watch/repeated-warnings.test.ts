import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {test} from 'node:test'

import {cycleLines, longRunScene as scene} from './long-run-support.js'
import {eventually, logLines, startCli} from './watch-process.js'

test('a warning repeated every cycle (a FIFO) is logged once; the summaries count the repeats', async (t) => {
  const s = await scene(t)
  execFileSync('mkfifo', [join(s.source, 'pipe')])
  const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
  await eventually(async () => (await cycleLines(s.log)).length >= 3, 10_000, 'three cycles')
  watch.child.kill('SIGTERM')
  assert.equal(await watch.exited, 0)
  const lines = await logLines(s.log)
  assert.equal(lines.filter((l) => / WARN pipe: source: skipped: not a regular file/.test(l)).length, 1, lines.join('\n'))
  const summaries = lines.filter((l) => / cycle \d+: /.test(l))
  assert.doesNotMatch(summaries[0]!, /repeated/)
  for (const summary of summaries.slice(1)) assert.match(summary, / cycle \d+: no changes \(\d+\.\d\d s\); 1 repeated warning not shown$/)
})
