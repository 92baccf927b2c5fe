import assert from 'node:assert/strict'
import {test} from 'node:test'

import fc from 'fast-check'

import type {DirectoryListing, S3Requests} from '../../../src/backend/s3/s3-requests.js'
import {TreeListing} from '../../../src/backend/s3/tree-listing.js'

const T0 = new Date(1_710_000_000_000)

/** What S3 answers for a set of keys: listings with and without a delimiter, counted. */
class KeySpace {
  requests = 0

  constructor(private readonly keys: string[]) {
    this.keys = [...new Set(keys)].sort()
  }

  async listDirectory(prefix: string): Promise<DirectoryListing> {
    this.requests++
    const listing: DirectoryListing = {objects: [], prefixes: []}
    for (const key of this.keys) {
      if (!key.startsWith(prefix)) continue
      const rest = key.slice(prefix.length)
      const slash = rest.indexOf('/')
      if (slash === -1) listing.objects.push({key, size: 1, etag: '"e"', lastModified: T0})
      else if (!listing.prefixes.includes(prefix + rest.slice(0, slash + 1))) listing.prefixes.push(prefix + rest.slice(0, slash + 1))
    }
    return listing
  }

  async listAll(prefix: string, max: number): Promise<DirectoryListing['objects'] | undefined> {
    const objects = this.keys.filter((key) => key.startsWith(prefix)).map((key) => ({key, size: 1, etag: '"e"', lastModified: T0}))
    this.requests += Math.max(1, Math.ceil(objects.length / 1000))
    return objects.length > max ? undefined : objects
  }
}

function sorted(listing: DirectoryListing): {objects: string[]; prefixes: string[]} {
  return {objects: listing.objects.map((o) => o.key).sort(), prefixes: [...listing.prefixes].sort()}
}

/** Every folder prefix a walk of the tree from `base` would list. */
async function walk(space: KeySpace, base: string): Promise<string[]> {
  const found = [base]
  for (let i = 0; i < found.length; i++) found.push(...(await space.listDirectory(found[i]!)).prefixes)
  return found
}

const segment = fc.constantFrom('a', 'b', 'c', '', 'x.txt')
const keyArb = fc.array(segment, {minLength: 1, maxLength: 4}).map((parts) => parts.join('/'))

test('every folder served from the flat listing is the listing S3 gives with a delimiter (markers, a//b and all), once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(keyArb, {maxLength: 30}), fc.constantFrom('', 'a/'), async (keys, base) => {
      const truth = new KeySpace(keys)
      const tree = new TreeListing(new KeySpace(keys) as unknown as S3Requests, base)
      tree.start()
      for (const prefix of await walk(truth, base)) {
        const served = await tree.take(prefix)
        assert.ok(served, prefix)
        assert.deepEqual(sorted(served), sorted(await truth.listDirectory(prefix)), prefix)
        assert.equal(await tree.take(prefix), undefined, 'served once')
      }
      assert.deepEqual(sorted((await tree.take(`${base}missing/`))!), {objects: [], prefixes: []}, 'a folder the tree lacks is empty')
    }),
  )
})

test('a flat listing is one request per top-level folder (plus the root), not one per folder', async () => {
  const keys = []
  for (let top = 0; top < 3; top++) for (let dir = 0; dir < 50; dir++) for (let file = 0; file < 4; file++) keys.push(`t${top}/d${dir}/f${file}`)
  const space = new KeySpace(keys)
  const tree = new TreeListing(space as unknown as S3Requests, '')
  tree.start()
  assert.equal((await tree.take('t1/d7/'))!.objects.length, 4)
  assert.equal(space.requests, 4)
})

test('a tree over the key limit is listed folder by folder (take has nothing to give)', async () => {
  const space = new KeySpace(['a/1', 'a/2', 'b/3'])
  const tree = new TreeListing(space as unknown as S3Requests, '', 2)
  tree.start()
  assert.equal(await tree.take(''), undefined)
  assert.equal(await new TreeListing(space as unknown as S3Requests, '').take(''), undefined, 'not started: nothing')
})
