import assert from 'node:assert/strict'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {LOG_MOVE_CHECK_MS, openLogFile} from '../../src/log/log-file.js'
import {tempDir} from '../helpers/temp-dir.js'

const read = (path: string): Promise<string> => readFile(path, 'utf8')

test('a log file moved away (logrotate) is followed: later lines go to a new file at the path', async (t) => {
  const dir = await tempDir(t)
  const log = join(dir, 'sync.log')
  await writeFile(log, 'kept\n')
  let time = 0
  const sink = openLogFile(log, {now: () => time})
  t.after(() => sink.close())
  sink.write('one')
  await rename(log, `${log}.1`)
  sink.write('two: within the check period, still to the moved file')
  time += LOG_MOVE_CHECK_MS
  sink.write('three')
  assert.equal(await read(`${log}.1`), 'kept\none\ntwo: within the check period, still to the moved file\n')
  assert.equal(await read(log), 'three\n')

  await rm(log)
  time += LOG_MOVE_CHECK_MS
  sink.write('four')
  assert.equal(await read(log), 'four\n', 'a removed log file is created again')
  time += LOG_MOVE_CHECK_MS
  sink.write('five')
  assert.equal(await read(log), 'four\nfive\n', 'appended to, not reopened again')
})

test('reopen() starts writing to the path at once; the file stays appended to', async (t) => {
  const dir = await tempDir(t)
  const log = join(dir, 'sync.log')
  const sink = openLogFile(log, {now: () => 0})
  t.after(() => sink.close())
  sink.write('one')
  await rename(log, `${log}.1`)
  sink.reopen()
  sink.write('two')
  sink.reopen()
  sink.write('three')
  assert.equal(await read(`${log}.1`), 'one\n')
  assert.equal(await read(log), 'two\nthree\n')
})

test('when the path cannot be opened again, lines keep going to the open file', async (t) => {
  const dir = await tempDir(t)
  const sub = join(dir, 'logs')
  const log = join(sub, 'sync.log')
  await mkdir(sub)
  let time = 0
  const sink = openLogFile(log, {now: () => time})
  t.after(() => sink.close())
  await rename(sub, join(dir, 'logs-away'))
  assert.throws(() => sink.reopen(), /^TreesyncError: cannot write log file .*sync\.log: /)
  time += LOG_MOVE_CHECK_MS
  sink.write('still written')
  assert.equal(await read(join(dir, 'logs-away', 'sync.log')), 'still written\n')
})
