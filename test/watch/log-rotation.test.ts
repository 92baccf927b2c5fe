import assert from 'node:assert/strict'
import {rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {assertMirror} from '../helpers/tree-snapshot.js'
import {cycleLines, longRunScene as scene} from './long-run-support.js'
import {eventually, LOG_LINE, logLines, startCli} from './watch-process.js'

describe('watch and its log file', () => {
  test('a log file moved away (logrotate) is followed: new lines go to a new file at the path', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycleLines(s.log)).length >= 1, 10_000, 'a cycle')
    await rename(s.log, `${s.log}.1`)
    await eventually(async () => (await cycleLines(s.log)).length >= 2, 10_000, 'cycles in a new sync.log')
    const rotated = await logLines(`${s.log}.1`)
    await eventually(async () => (await cycleLines(s.log)).length >= 4, 10_000, 'more cycles')
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
    assert.deepEqual(await logLines(`${s.log}.1`), rotated, 'nothing more written to the moved file')
    const lines = await logLines(s.log)
    for (const line of lines) assert.match(line, LOG_LINE)
    assert.match(lines.at(-1)!, / INFO watch stopped after \d+ cycles$/)
  })

  test('SIGHUP reopens the log file and watch goes on; SIGTERM still stops it with exit 0', async (t) => {
    const s = await scene(t)
    const watch = startCli(t, ['watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache])
    await eventually(async () => (await cycleLines(s.log)).length >= 1, 10_000, 'a cycle')
    await rename(s.log, `${s.log}.1`)
    watch.child.kill('SIGHUP')
    await eventually(async () => (await logLines(s.log)).some((l) => / INFO received SIGHUP: reopened the log file$/.test(l)), 10_000, 'the SIGHUP line')
    await eventually(async () => (await cycleLines(s.log)).length >= 2, 10_000, 'cycles after SIGHUP')
    assert.equal(watch.child.exitCode, null, 'still running')
    await writeFile(join(s.source, 'after-hangup.txt'), 'synced')
    await eventually(() => assertMirror(s.source, s.replica), 10_000, 'mirroring after SIGHUP')
    watch.child.kill('SIGTERM')
    assert.equal(await watch.exited, 0)
    assert.match((await logLines(s.log)).at(-1)!, / INFO watch stopped after \d+ cycles$/)
    assert.ok(!(await logLines(`${s.log}.1`)).some((l) => /SIGHUP/.test(l)), 'the SIGHUP line went to the new file')
  })
})
