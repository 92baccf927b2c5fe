import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {radosgwForSuite} from '../../helpers/radosgw-server.js'

// What radosgw (Ceph 16.2, Debian 12) does with the requests the S3 backend will rely on.
// The assertions pin what it was seen to do: a change of behaviour fails here first.
const server = radosgwForSuite()

const md5 = (text: string): string => `"${createHash('md5').update(text).digest('hex')}"`

test('the fixture serves its user on 127.0.0.1: a new bucket, an object PUT and GET back', async () => {
  const s = server()
  assert.match(s.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/)
  const bucket = await s.createBucket('smoke')
  const listing = await s.request({method: 'GET'})
  assert.equal(listing.status, 200)
  assert.match(listing.text, new RegExp(`<Name>${bucket}</Name>`))
  const key = "dir/a b é!'(x).txt"
  const put = await s.request({method: 'PUT', bucket, key, body: 'hello', headers: {'Content-Type': 'text/plain'}})
  assert.equal(put.status, 200, put.text)
  assert.equal(put.headers.get('etag'), md5('hello'))
  const get = await s.request({method: 'GET', bucket, key})
  assert.equal(get.status, 200)
  assert.equal(get.text, 'hello')
  assert.equal(get.headers.get('etag'), md5('hello'))
  assert.equal(get.headers.get('content-length'), '5')
  assert.ok(!Number.isNaN(Date.parse(get.headers.get('last-modified') ?? '')))
  const missing = await s.request({method: 'GET', bucket, key: 'nope'})
  assert.equal(missing.status, 404)
  assert.match(missing.text, /<Code>NoSuchKey<\/Code>/)
  const wrongSecret = await fetch(`${s.endpoint}/${bucket}/dir`, {headers: {authorization: 'AWS4-HMAC-SHA256 Credential=nobody/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00'}})
  assert.equal(wrongSecret.status, 403)
})

test('PUT with If-None-Match: * is honoured: 412 over an existing key, a create otherwise', async (t) => {
  const s = server()
  const bucket = await s.createBucket('inm')
  const fresh = await s.request({method: 'PUT', bucket, key: 'k', body: 'one', headers: {'If-None-Match': '*'}})
  assert.equal(fresh.status, 200, fresh.text)
  const again = await s.request({method: 'PUT', bucket, key: 'k', body: 'two', headers: {'If-None-Match': '*'}})
  t.diagnostic(`If-None-Match: * over an existing key: ${again.status}`)
  assert.equal(again.status, 412, again.text)
  assert.match(again.text, /<Code>PreconditionFailed<\/Code>/)
  assert.equal((await s.request({method: 'GET', bucket, key: 'k'})).text, 'one')
})

test('PUT with If-Match is honoured, but only with the ETag unquoted: a quoted one never matches', async (t) => {
  const s = server()
  const bucket = await s.createBucket('im')
  await s.request({method: 'PUT', bucket, key: 'k', body: 'one'})
  const unquoted = (text: string): string => md5(text).slice(1, -1)
  const stale = await s.request({method: 'PUT', bucket, key: 'k', body: 'two', headers: {'If-Match': unquoted('other')}})
  assert.equal(stale.status, 412, stale.text)
  // radosgw compares the header with its stored ETag, which has no quotes: `"…"` as S3 clients send it fails.
  const quoted = await s.request({method: 'PUT', bucket, key: 'k', body: 'two', headers: {'If-Match': md5('one')}})
  assert.equal(quoted.status, 412, quoted.text)
  assert.equal((await s.request({method: 'GET', bucket, key: 'k'})).text, 'one')
  const current = await s.request({method: 'PUT', bucket, key: 'k', body: 'two', headers: {'If-Match': unquoted('one')}})
  assert.equal(current.status, 200, current.text)
  assert.equal((await s.request({method: 'GET', bucket, key: 'k'})).text, 'two')
  const star = await s.request({method: 'PUT', bucket, key: 'k', body: 'three', headers: {'If-Match': '*'}})
  assert.equal(star.status, 200, star.text)
  const absent = await s.request({method: 'PUT', bucket, key: 'absent', body: 'x', headers: {'If-Match': '*'}})
  t.diagnostic(`If-Match: * on a missing key: ${absent.status} ${absent.text.match(/<Code>(\w+)</)?.[1] ?? ''}`)
  assert.equal(absent.status, 412, absent.text)
  assert.equal((await s.request({method: 'GET', bucket, key: 'absent'})).status, 404)
})

test('DELETE ignores If-Match (the object goes whatever the ETag)', async () => {
  const s = server()
  const bucket = await s.createBucket('del')
  await s.request({method: 'PUT', bucket, key: 'k', body: 'one'})
  const deleted = await s.request({method: 'DELETE', bucket, key: 'k', headers: {'If-Match': md5('other').slice(1, -1)}})
  assert.equal(deleted.status, 204, deleted.text)
  assert.equal((await s.request({method: 'GET', bucket, key: 'k'})).status, 404)
})

test('ListObjectsV2: prefix, delimiter, pages through continuation tokens', async () => {
  const s = server()
  const bucket = await s.createBucket('list')
  for (const key of ['a/1', 'a/2', 'a/b/3', 'c']) await s.request({method: 'PUT', bucket, key, body: key})
  const top = await s.request({method: 'GET', bucket, query: {'list-type': '2', delimiter: '/'}})
  assert.equal(top.status, 200, top.text)
  assert.deepEqual(keys(top.text), ['c'])
  assert.deepEqual([...top.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]), ['a/'])
  const seen: string[] = []
  let token: string | undefined
  for (let page = 0; page < 10; page++) {
    const query: Record<string, string> = {'list-type': '2', prefix: 'a/', 'max-keys': '1', ...(token ? {'continuation-token': token} : {})}
    const response = await s.request({method: 'GET', bucket, query})
    assert.equal(response.status, 200, response.text)
    assert.match(response.text, /<KeyCount>1<\/KeyCount>/)
    seen.push(...keys(response.text))
    token = response.text.match(/<NextContinuationToken>([^<]*)</)?.[1]
    if (!/<IsTruncated>true</.test(response.text)) break
  }
  assert.deepEqual(seen, ['a/1', 'a/2', 'a/b/3'])
})

test('a metadata-only copy onto itself (REPLACE) keeps the ETag and moves LastModified', async (t) => {
  const s = server()
  const bucket = await s.createBucket('copy')
  await s.request({method: 'PUT', bucket, key: 'k', body: 'data', headers: {'x-amz-meta-mtime': '1'}})
  const before = await s.request({method: 'HEAD', bucket, key: 'k'})
  await sleep(1100) // Last-Modified has a resolution of one second
  const copy = await s.request({
    method: 'PUT',
    bucket,
    key: 'k',
    headers: {'x-amz-copy-source': `/${bucket}/k`, 'x-amz-metadata-directive': 'REPLACE', 'x-amz-meta-mtime': '2'},
  })
  assert.equal(copy.status, 200, copy.text)
  const after = await s.request({method: 'HEAD', bucket, key: 'k'})
  t.diagnostic(`ETag ${before.headers.get('etag')} → ${after.headers.get('etag')}; Last-Modified ${before.headers.get('last-modified')} → ${after.headers.get('last-modified')}`)
  assert.equal(after.headers.get('x-amz-meta-mtime'), '2')
  assert.equal(after.headers.get('etag'), before.headers.get('etag'))
  assert.ok(Date.parse(after.headers.get('last-modified')!) > Date.parse(before.headers.get('last-modified')!))
  assert.equal((await s.request({method: 'GET', bucket, key: 'k'})).text, 'data')
})

function keys(xml: string): string[] {
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1].replace(/&apos;/g, "'").replace(/&amp;/g, '&'))
}
