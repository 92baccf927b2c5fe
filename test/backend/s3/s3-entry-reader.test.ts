import assert from 'node:assert/strict'
import {test} from 'node:test'

import {MemoryMetadataCache} from '../../../src/backend/s3/s3-entry.js'
import {recordKey, S3EntryReader} from '../../../src/backend/s3/s3-entry-reader.js'
import {S3Keys} from '../../../src/backend/s3/s3-keys.js'
import type {S3Requests} from '../../../src/backend/s3/s3-requests.js'

const OLD = '"0123456789abcdef0123456789abcdef"|1710000000|3'

test('a change records what it wrote under the old token only when the server kept the ETag (a same-bytes rewrite or a metadata copy)', () => {
  const cache = new MemoryMetadataCache()
  const keys = new S3Keys('b', 'site')
  const reader = new S3EntryReader({} as S3Requests, keys, cache, 1)
  reader.forget('f', OLD, {etag: '"0123456789abcdef0123456789abcdef"', size: 3}, 5_000)
  assert.deepEqual(cache.get(recordKey(keys.fileKey('f'), OLD)), {mtimeNs: 5_000_000_000n})
  reader.forget('q', OLD, {etag: '0123456789abcdef0123456789abcdef', size: 3}, 6_000)
  assert.deepEqual(cache.get(recordKey(keys.fileKey('q'), OLD)), {mtimeNs: 6_000_000_000n}, 'an ETag answered without quotes is the same ETag')
  // New bytes: a restored old version (a versioned bucket) must not read as what was written.
  reader.forget('g', OLD, {etag: '"ffffffffffffffffffffffffffffffff"', size: 3}, 5_000)
  reader.forget('h', OLD, {etag: undefined, size: 3}, 5_000)
  reader.forget('i', OLD, {etag: '"0123456789abcdef0123456789abcdef"', size: 4}, 5_000)
  for (const path of ['g', 'h', 'i']) assert.equal(cache.get(recordKey(keys.fileKey(path), OLD)), undefined, path)
})
