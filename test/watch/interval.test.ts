import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseInterval} from '../../src/index.js'

test('INTERVAL defaults to 60 s and may be fractional', () => {
  assert.equal(parseInterval(undefined, undefined), 60_000)
  assert.equal(parseInterval('0.25', undefined), 250)
  assert.equal(parseInterval(undefined, '2'), 2000)
  assert.equal(parseInterval('2', '2'), 2000, 'the same value twice is fine')
})

test('INTERVAL must be a number above 0, and the two forms must agree', () => {
  for (const bad of ['0', '-1', 'abc', '', ' ', 'Infinity', 'NaN']) {
    assert.throws(() => parseInterval(bad, undefined), /INTERVAL must be a number of seconds greater than 0/, bad)
  }
  assert.throws(() => parseInterval('1', '2'), /INTERVAL and --interval disagree/)
})
