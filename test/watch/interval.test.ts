import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseInterval} from '../../src/watch/interval.js'

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

test('INTERVAL goes from 0.05 s to a year; one outside is refused with a sentence naming the limit', () => {
  assert.equal(parseInterval('0.05', undefined), 50)
  assert.equal(parseInterval('31536000', undefined), 365 * 24 * 3600 * 1000)
  for (const tooShort of ['0.001', '1e-9', '0.049']) {
    assert.throws(() => parseInterval(tooShort, undefined), new RegExp(`^TreesyncError: INTERVAL must be at least 0\\.05 seconds, got "${tooShort}"$`), tooShort)
  }
  for (const tooLong of ['31536001', '1e12']) {
    assert.throws(() => parseInterval(undefined, tooLong), new RegExp(`^TreesyncError: INTERVAL must be at most 31536000 seconds \\(365 days\\), got "${tooLong}"$`), tooLong)
  }
})
