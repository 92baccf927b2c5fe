import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {BIN} from '../helpers/cli.js'
import {assertMirror} from '../helpers/tree-snapshot.js'
import {cycleLines, longRunScene as scene} from './long-run-support.js'
import {eventually, LOG_LINE, logLines, startCli} from './watch-process.js'

const hasScript = (): boolean => spawnSync('script', ['--version']).status === 0
const shellQuote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

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

  for (const json of [false, true]) {
    test(`closing its terminal (SIGHUP, then every console write fails) does not stop watch${json ? ' --json' : ''}`, {skip: !hasScript()}, async (t) => {
      const s = await scene(t)
      // `script` gives watch a terminal; killing `script` closes it, as closing an SSH session does.
      const command = [process.execPath, BIN, 'watch', s.source, s.replica, '0.2', s.log, '--cache-dir', s.cache, ...(json ? ['--json'] : [])].map(shellQuote).join(' ')
      const terminal = spawn('script', ['-qfc', command, '/dev/null'], {stdio: 'ignore', env: {...process.env, NO_COLOR: '1'}})
      t.after(() => void (terminal.exitCode === null && terminal.kill('SIGKILL')))
      await eventually(async () => (await cycleLines(s.log)).length >= 1, 10_000, 'a cycle')
      const pid = Number(/ watch started: .* \(pid (\d+)\)$/.exec((await logLines(s.log))[0]!)![1])
      t.after(() => void (isAlive(pid) && process.kill(pid, 'SIGKILL')))
      terminal.kill('SIGKILL')
      await eventually(async () => (await logLines(s.log)).some((l) => / INFO received SIGHUP: reopened the log file$/.test(l)), 10_000, 'the SIGHUP line')
      const seen = (await cycleLines(s.log)).length
      await eventually(async () => (await cycleLines(s.log)).length >= seen + 3, 10_000, 'cycles after the hang-up')
      process.kill(pid, 'SIGTERM')
      // Its parent is gone, so its exit code is not ours to see: its last line says it stopped cleanly.
      await eventually(async () => / INFO watch stopped after \d+ cycles$/.test((await logLines(s.log)).at(-1)!), 10_000, 'the final line')
    })
  }
})
