import assert from 'node:assert/strict'
import {test} from 'node:test'

import {entryOfListed} from '../../src/scan/backend-listing.js'

test('an entry from a root that keeps no modes (S3) is given 0644 or 0755, never 0 (an unreadable copy on a local replica)', () => {
  const file = entryOfListed('a.txt', {name: 'a.txt', type: 'file', size: 3, mtimeNs: 2_000_000n, changeToken: 't'}, false)
  const dir = entryOfListed('d', {name: 'd', type: 'dir', size: 0, mtimeNs: 0n, changeToken: 'dir'}, false)
  assert.equal(file.mode, 0o644)
  assert.equal(dir.mode, 0o755)
  assert.equal(entryOfListed('b', {name: 'b', type: 'file', size: 1, mtimeNs: 0n, changeToken: 'u', mode: 0o600}, false).mode, 0o600)
})
