import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {Backend, BackendEntry, MetadataChange} from '../../src/backend/backend.js'
import {FULL_CAPABILITIES, type Capabilities} from '../../src/backend/capabilities.js'
import {S3_CAPABILITIES} from '../../src/backend/s3/s3-capabilities.js'
import {DirectoryTimes} from '../../src/apply/directory-times.js'

/** A replica that records the directory stats and metadata changes asked of it. */
function recordingReplica(capabilities: Capabilities): {backend: Backend; stats: string[]; changes: Array<[string, MetadataChange]>} {
  const stats: string[] = []
  const changes: Array<[string, MetadataChange]> = []
  const backend = {
    capabilities,
    async stat(path: string): Promise<BackendEntry> {
      stats.push(path)
      return {type: 'dir', size: 0, mtimeNs: 5_000_000_000n, changeToken: 'd'}
    },
    async setMetadata(path: string, change: MetadataChange): Promise<void> {
      changes.push([path, change])
    },
  } as unknown as Backend
  return {backend, stats, changes}
}

async function run(times: DirectoryTimes): Promise<void> {
  await times.rememberBefore('a')
  times.plan('a/new', {mode: 0o700, mtimeMs: 1_000})
  assert.deepEqual(await times.finish(), [])
}

test('between two full roots, a planned folder gets its mode and mtime, a touched one its mtime back', async () => {
  const replica = recordingReplica(FULL_CAPABILITIES)
  await run(new DirectoryTimes(replica.backend, {capabilities: FULL_CAPABILITIES}))
  assert.deepEqual(replica.stats, ['a'])
  assert.deepEqual(replica.changes, [
    ['a/new', {mode: 0o700, mtimeMs: 1_000}],
    ['a', {mtimeMs: 5_000}],
  ])
})

test('an S3 replica keeps no folder metadata: nothing is read or set (no request per folder)', async () => {
  const replica = recordingReplica(S3_CAPABILITIES)
  await run(new DirectoryTimes(replica.backend, {capabilities: FULL_CAPABILITIES}))
  assert.deepEqual(replica.stats, [])
  assert.deepEqual(replica.changes, [])
})

test('from an S3 source, a local folder gets its mode only: the source has no folder mtime to give (not 1970)', async () => {
  const replica = recordingReplica(FULL_CAPABILITIES)
  await run(new DirectoryTimes(replica.backend, {capabilities: S3_CAPABILITIES}))
  assert.deepEqual(replica.stats, [])
  assert.deepEqual(replica.changes, [['a/new', {mode: 0o700}]])
})
