import assert from 'node:assert/strict'
import {test} from 'node:test'

import {Logger} from '../../src/index.js'
import {MAX_REMEMBERED_WARNINGS, WarnOnceLogger} from '../../src/log/warn-once.js'

function recording() {
  const lines: string[] = []
  const logger = new WarnOnceLogger(new Logger([{write: (line) => lines.push(line.replace(/^\S+ /, ''))}]))
  return {lines, logger}
}

test('a warning is written once per run, its repeats counted until taken', () => {
  const {lines, logger} = recording()
  logger.warn('fifo: skipped: not a regular file, directory or symlink')
  logger.log('WARN', 'fifo: skipped: not a regular file, directory or symlink')
  logger.warn('other: skipped')
  logger.warn('fifo: skipped: not a regular file, directory or symlink')
  assert.equal(logger.takeRepeats(), 2)
  assert.equal(logger.takeRepeats(), 0, 'taking resets the count')
  logger.warn('other: skipped')
  assert.equal(logger.takeRepeats(), 1)
  assert.deepEqual(lines, ['WARN fifo: skipped: not a regular file, directory or symlink', 'WARN other: skipped'])
})

test('other levels are always written', () => {
  const {lines, logger} = recording()
  for (let i = 0; i < 2; i++) {
    logger.info('cycle: no changes')
    logger.error('x: permission denied')
  }
  assert.equal(lines.length, 4)
  assert.equal(logger.takeRepeats(), 0)
})

test('memory stays bounded: past the limit, new warnings are written every time', () => {
  const {lines, logger} = recording()
  for (let i = 0; i < MAX_REMEMBERED_WARNINGS; i++) logger.warn(`w${i}`)
  logger.warn('one too many')
  logger.warn('one too many')
  logger.warn('w0')
  assert.equal(lines.length, MAX_REMEMBERED_WARNINGS + 2)
  assert.equal(logger.takeRepeats(), 1)
})
