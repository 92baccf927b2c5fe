import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {probeConditionalWrites} from '../../../src/backend/s3/conditional-writes.js'
import {S3Keys} from '../../../src/backend/s3/s3-keys.js'
import {entriesOfListing} from '../../../src/backend/s3/s3-listing.js'
import type {HeadResult, PendingUpload, S3Requests} from '../../../src/backend/s3/s3-requests.js'
import {abortAbandonedUploads, abortClaimedUploads, writeClaim} from '../../../src/backend/s3/upload-claims.js'
import {isTempName} from '../../../src/tree/temp-name.js'

const T0 = new Date(1_710_000_000_000)

/** An object as a listing reports it. */
function listed(key: string, size = 1) {
  return {key, size, etag: '"e"', lastModified: T0}
}

/** Just enough of `S3Requests` over a map, for the logic above the requests (not a server: the contract suite runs on radosgw). */
class FakeRequests {
  readonly bucket = 'b'
  readonly objects = new Map<string, {metadata: Record<string, string>; lastModified: Date}>()
  readonly uploads: PendingUpload[] = []
  readonly aborted: string[] = []
  readonly calls: string[] = []
  /** How a conditional PUT is answered: honoured (412 when it fails), ignored, or refused as unknown (501). */
  conditionals: 'honoured' | 'bare-only' | 'ignored' | 'unknown' = 'honoured'

  async put(input: {Key?: string; Metadata?: Record<string, string>; IfNoneMatch?: string; IfMatch?: string}): Promise<string> {
    this.calls.push(`put ${input.IfNoneMatch ? 'if-none-match ' : input.IfMatch ? 'if-match ' : ''}${input.Key}`)
    const conditional = input.IfNoneMatch !== undefined || input.IfMatch !== undefined
    if (conditional && this.conditionals === 'unknown') throw Object.assign(new Error('NotImplemented'), {$metadata: {httpStatusCode: 501}})
    if (conditional && this.conditionals !== 'ignored') {
      const exists = this.objects.has(input.Key!)
      const matching = this.conditionals === 'bare-only' ? 'e' : '"e"'
      if ((input.IfNoneMatch && exists) || (input.IfMatch && (!exists || input.IfMatch !== matching))) {
        throw Object.assign(new Error('wrapped'), {cause: Object.assign(new Error('PreconditionFailed'), {$metadata: {httpStatusCode: 412}})})
      }
    }
    this.objects.set(input.Key!, {metadata: input.Metadata ?? {}, lastModified: T0})
    return '"e"'
  }

  async head(key: string): Promise<HeadResult | undefined> {
    const o = this.objects.get(key)
    return o && {size: 0, etag: '"e"', lastModified: o.lastModified, metadata: o.metadata}
  }

  async delete(key: string): Promise<void> {
    this.calls.push(`delete ${key}`)
    this.objects.delete(key)
  }

  async pendingUploads(prefix: string): Promise<PendingUpload[]> {
    this.calls.push(`uploads ${prefix}`)
    return this.uploads.filter((u) => u.key.startsWith(prefix))
  }

  async abortUpload(upload: PendingUpload): Promise<void> {
    this.aborted.push(upload.uploadId)
  }

  async listDirectory(prefix: string) {
    this.calls.push(`list ${prefix}`)
    const objects = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => listed(k, 0))
    return {objects, prefixes: []}
  }

  asRequests(): S3Requests {
    return this as unknown as S3Requests
  }
}

describe('S3 directory listings', () => {
  test('directories from common prefixes (markers or not), files from objects; what a tree cannot hold left out', async () => {
    const keys = new S3Keys('b', 'p')
    const listing = {
      objects: [listed('p/d/'), listed('p/d/a.txt', 3), listed('p/d/sub'), listed('p/d/odd/'), listed('p/d//'), listed('p/d/gone')],
      prefixes: ['p/d/sub/', 'p/d/empty/', 'p/d//', 'p/d/../'],
    }
    const asked: string[] = []
    const entries = await entriesOfListing(keys, 'd', listing, async (o) => {
      asked.push(o.key)
      if (o.key.endsWith('gone')) return undefined
      return {type: 'file', size: o.size, mtimeNs: 1n, changeToken: o.key}
    })
    const seen = entries.map((e) => [e.name, e.type, e.size]).sort()
    assert.deepEqual(seen, [['a.txt', 'file', 3], ['empty', 'dir', 0], ['sub', 'dir', 0]])
    assert.deepEqual(asked.sort(), ['p/d/a.txt', 'p/d/gone'], 'metadata is asked for files only')
  })
})

describe('probing conditional writes', () => {
  const cases = [
    ['honoured', {ifNoneMatch: true, ifMatch: true, ifMatchBare: false}],
    ['bare-only', {ifNoneMatch: true, ifMatch: true, ifMatchBare: true}],
    ['ignored', {ifNoneMatch: false, ifMatch: false, ifMatchBare: false}],
    ['unknown', {ifNoneMatch: false, ifMatch: false, ifMatchBare: false}],
  ] as const
  for (const [behaviour, found] of cases) {
    test(`conditional headers ${behaviour}: found ${JSON.stringify(found)}; the probe is removed`, async () => {
      const fake = new FakeRequests()
      fake.conditionals = behaviour
      assert.deepEqual(await probeConditionalWrites(fake.asRequests(), 'p/'), found)
      assert.equal(fake.objects.size, 0)
      const probe = fake.calls[0]!.replace(/^put /, '')
      assert.ok(probe.startsWith('p/') && isTempName(probe.slice(2)), 'a temporary name under the prefix: a kill leaves it to the sweep')
    })
  }
})

describe('claims of multipart uploads', () => {
  test('a claim names its key; aborting it aborts only the uploads of that key begun with it, then removes it', async () => {
    const fake = new FakeRequests()
    const claim = await writeClaim(fake.asRequests(), 'p/dir/big file.bin')
    assert.ok(claim.startsWith('p/dir/') && isTempName(claim.slice('p/dir/'.length)))
    fake.uploads.push(
      {key: 'p/dir/big file.bin', uploadId: 'ours', initiated: new Date(T0.getTime() + 100)},
      {key: 'p/dir/big file.bin', uploadId: 'long before', initiated: new Date(T0.getTime() - 3_600_000)},
      {key: 'p/dir/big file.bin', uploadId: 'long after', initiated: new Date(T0.getTime() + 3_600_000)},
      {key: 'p/dir/other.bin', uploadId: 'another key', initiated: T0},
    )
    assert.equal(await abortClaimedUploads(fake.asRequests(), claim), 1)
    assert.deepEqual(fake.aborted, ['ours'])
    assert.equal(fake.objects.has(claim), false)
  })

  test('a temporary without claim metadata (a probe left by a kill) is only removed', async () => {
    const fake = new FakeRequests()
    await fake.put({Key: 'p/.treesync-0123456789abcdef.tmp'})
    assert.equal(await abortClaimedUploads(fake.asRequests(), 'p/.treesync-0123456789abcdef.tmp'), 0)
    assert.equal(fake.objects.size, 0)
  })

  test('abandoned uploads are found from the uploads: one request when there are none, claims looked for only where there are', async () => {
    const fake = new FakeRequests()
    assert.equal(await abortAbandonedUploads(fake.asRequests(), 'p/'), 0)
    assert.deepEqual(fake.calls, ['uploads p/'])
    const claim = await writeClaim(fake.asRequests(), 'p/a/big')
    fake.uploads.push({key: 'p/a/big', uploadId: 'ours', initiated: T0}, {key: 'p/b/rclone', uploadId: 'theirs', initiated: T0})
    assert.equal(await abortAbandonedUploads(fake.asRequests(), 'p/'), 1)
    assert.deepEqual(fake.aborted, ['ours'], "an upload without a claim is another tool's: left alone")
    assert.equal(fake.objects.has(claim), false)
    assert.ok(fake.calls.includes('list p/a/.treesync-') && fake.calls.includes('list p/b/.treesync-'))
  })
})
