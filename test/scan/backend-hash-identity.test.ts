import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {changeTokenDigest, CLOCK_SKEW_ALLOWANCE_NS, identityFieldsOf, isRacyOnBackend} from '../../src/scan/backend-hash-identity.js'

const SECOND = 1_000_000_000n

describe('the hash-cache identity of a backend entry', () => {
  test('the inode stand-in is a stable, positive 63-bit digest of the change token; ctime is 0', () => {
    const digest = changeTokenDigest('etag-1:2026-01-01')
    assert.equal(digest, changeTokenDigest('etag-1:2026-01-01'))
    assert.notEqual(digest, changeTokenDigest('etag-2:2026-01-01'))
    assert.ok(digest >= 0n && digest < 1n << 63n)
    const fields = identityFieldsOf({type: 'file', size: 3, mtimeNs: 5n * SECOND, changeToken: 'etag-1:2026-01-01'})
    assert.deepEqual(fields, {mtimeNs: 5n * SECOND, ctimeNs: 0n, ino: digest})
  })

  test('racy: an mtime within the precision plus the clock-skew allowance of the scan start, or in the future', () => {
    const start = 1_000_000n * SECOND
    const sftp = {mtimePrecisionNs: 1e9}
    const ext4 = {mtimePrecisionNs: 1}
    assert.equal(CLOCK_SKEW_ALLOWANCE_NS, 2n * SECOND)
    assert.equal(isRacyOnBackend({mtimeNs: start + SECOND}, start, ext4), true, 'in the future')
    assert.equal(isRacyOnBackend({mtimeNs: start - 2n * SECOND + 1n}, start, ext4), true)
    assert.equal(isRacyOnBackend({mtimeNs: start - 2n * SECOND - 1n}, start, ext4), false)
    assert.equal(isRacyOnBackend({mtimeNs: start - (5n * SECOND) / 2n}, start, sftp), true, '2.5 s ago on a 1-second clock')
    assert.equal(isRacyOnBackend({mtimeNs: start - 3n * SECOND - 1n}, start, sftp), false)
  })
})
