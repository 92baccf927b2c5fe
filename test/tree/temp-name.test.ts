import assert from 'node:assert/strict'
import {test} from 'node:test'

import {isTempName, makeTempName} from '../../src/tree/temp-name.js'

test('temporary names have the one shape the scanner skips, and never repeat in a thread', () => {
  const names = Array.from({length: 10_000}, () => makeTempName())
  assert.ok(names.every(isTempName), names.find((n) => !isTempName(n)))
  assert.equal(new Set(names).size, names.length)
  assert.equal(isTempName('.treesync-0123456789abcdef.tmp'), true)
  assert.equal(isTempName('.treesync-0123456789abcdeg.tmp'), false)
  assert.equal(isTempName('treesync-0123456789abcdef.tmp'), false)
})

test('names stay random past the pool of random bytes they are drawn from', () => {
  const names = Array.from({length: 3000}, () => makeTempName())
  assert.equal(new Set(names).size, names.length)
  // No counter shows through: consecutive names share no more than chance would.
  const sharedPrefix = (a: string, b: string) => [...a].findIndex((c, i) => c !== b[i])
  const longest = Math.max(...names.slice(1).map((n, i) => sharedPrefix(n, names[i]!)))
  assert.ok(longest < '.treesync-'.length + 8, `names ${longest} characters alike`)
})
