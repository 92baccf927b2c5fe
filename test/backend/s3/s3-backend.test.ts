import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {after, test} from 'node:test'

import {CreateMultipartUploadCommand, type S3Client} from '@aws-sdk/client-s3'

import {ABSENT} from '../../../src/backend/backend.js'
import {probeConditionalWrites} from '../../../src/backend/s3/conditional-writes.js'
import {S3Backend} from '../../../src/backend/s3/s3-backend.js'
import {checkBucket, createS3Client} from '../../../src/backend/s3/s3-client.js'
import {S3Connections} from '../../../src/backend/s3/s3-connections.js'
import {MemoryMetadataCache} from '../../../src/backend/s3/s3-entry.js'
import {S3Keys} from '../../../src/backend/s3/s3-keys.js'
import {S3Requests} from '../../../src/backend/s3/s3-requests.js'
import {abortAbandonedUploads, writeClaim} from '../../../src/backend/s3/upload-claims.js'
import {radosgwForSuite} from '../../helpers/radosgw-server.js'
import {MemorySource} from '../memory-source.js'

const server = radosgwForSuite()
const clients: S3Client[] = []
after(() => clients.forEach((c) => c.destroy()))

/** A client of the fixture's user, counting the requests it sends by command name. */
function client(options: {secret?: string; endpoint?: string} = {}): {client: S3Client; sent: string[]} {
  const s = server()
  process.env.AWS_ACCESS_KEY_ID = s.accessKey
  process.env.AWS_SECRET_ACCESS_KEY = options.secret ?? s.secretKey
  const c = createS3Client({endpoint: options.endpoint ?? s.endpoint, region: s.region, env: {}})
  // The chain read the variables when the client was made: later tests may set others.
  const credentials = {accessKeyId: s.accessKey, secretAccessKey: options.secret ?? s.secretKey}
  c.config.credentials = async () => credentials
  const sent: string[] = []
  c.middlewareStack.add((next, context) => (args) => (sent.push(context.commandName ?? '?'), next(args)), {step: 'initialize'})
  clients.push(c)
  return {client: c, sent}
}

async function subject(prefix = 'tree') {
  const {client: c, sent} = client()
  const bucket = await server().createBucket('backend')
  const requests = new S3Requests(c, {bucket, endpoint: server().endpoint})
  const keys = new S3Keys(bucket, prefix)
  return {backend: new S3Backend(requests, keys, keys.url, {metadataCache: new MemoryMetadataCache()}), requests, keys, sent, client: c, bucket}
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex')

test('radosgw honours If-None-Match, and If-Match with a bare ETag: the probe finds that', async () => {
  const {requests, keys} = await subject()
  assert.deepEqual(await probeConditionalWrites(requests, keys.base), {ifNoneMatch: true, ifMatch: true, ifMatchBare: true})
  assert.deepEqual(await requests.keysUnder(keys.base), [], 'the probe is removed')
})

test('a large file goes up as a multipart upload with md5chksum and mtime; its MD5 is free; no claim stays', async () => {
  const {backend, requests, keys} = await subject()
  const data = randomBytes(20 * 1024 * 1024 + 5)
  const source = new MemorySource()
  source.put('big.bin', data, 1_704_164_644_321)
  await backend.writeFile('big.bin', {backend: source, path: 'big.bin', expected: {size: data.length, mtimeMs: 1_704_164_644_321}}, {size: data.length, mtimeMs: 1_704_164_644_321}, ABSENT)
  const head = (await requests.head(keys.fileKey('big.bin')))!
  assert.match(head.etag, /-3"$/, 'three parts of 8 MiB')
  assert.equal(head.metadata.mtime, '1704164644.321000000')
  const entry = await backend.stat('big.bin')
  assert.deepEqual([entry?.size, entry?.md5, entry?.mtimeNs], [data.length, md5(data), 1_704_164_644_321_000_000n])
  assert.deepEqual(await backend.hash('big.bin'), {md5: md5(data), size: data.length})
  assert.deepEqual(await backend.hash('big.bin', 1000), {md5: md5(data.subarray(0, 1000)), size: 1000})
  assert.deepEqual((await backend.list('')).map((e) => e.name), ['big.bin'], 'the claim was removed')
  assert.deepEqual(await requests.pendingUploads(keys.base), [])
  // Replaced by another multipart upload, completed under If-Match.
  const next = randomBytes(9 * 1024 * 1024)
  source.put('big.bin', next, 1_704_164_645_000)
  const planned = {type: 'file' as const, size: data.length, mtimeMs: 1_704_164_644_321}
  await backend.writeFile('big.bin', {backend: source, path: 'big.bin', expected: {size: next.length, mtimeMs: 1_704_164_645_000}}, {size: next.length, md5: md5(next), mtimeMs: 1_704_164_645_000}, planned)
  assert.deepEqual(await backend.hash('big.bin'), {md5: md5(next), size: next.length})
  await assert.rejects(
    backend.writeFile('big.bin', {backend: source, path: 'big.bin', expected: {size: next.length, mtimeMs: 1_704_164_645_000}}, {size: next.length, mtimeMs: 1_704_164_645_000}, planned),
    {code: 'PLAN_STALE'},
    'the object planned is gone',
  )
})

test('a large file whose bytes are not the planned ones is never completed: nothing under its key, no upload, no claim', async () => {
  const {backend, requests, keys} = await subject()
  const data = randomBytes(9 * 1024 * 1024)
  const source = new MemorySource()
  source.put('big.bin', data, 1_704_164_644_000)
  const from = {backend: source, path: 'big.bin', expected: {size: data.length, mtimeMs: 1_704_164_644_000}}
  await assert.rejects(backend.writeFile('big.bin', from, {size: data.length, md5: md5('other'), mtimeMs: 1_704_164_644_000}, ABSENT), {code: 'PLAN_STALE', path: 'big.bin'})
  void source.holdNextRead(5 * 1024 * 1024, Promise.resolve(), true)
  await assert.rejects(backend.writeFile('big.bin', from, {size: data.length, mtimeMs: 1_704_164_644_000}, ABSENT))
  assert.equal(await backend.stat('big.bin'), undefined)
  assert.deepEqual(await requests.pendingUploads(keys.base), [])
  assert.deepEqual(await requests.keysUnder(keys.base), [])
})

test('a listing of unchanged objects makes no HEAD the second time (the metadata cache)', async () => {
  const {backend: writer, requests, keys, sent} = await subject()
  const source = new MemorySource()
  for (const name of ['a', 'b', 'c']) {
    source.put(name, name)
    await writer.writeFile(name, {backend: source, path: name, expected: {size: 1, mtimeMs: 1_704_164_644_000}}, {size: 1, mtimeMs: 1_704_164_644_000}, ABSENT)
  }
  await writer.mkdir('d')
  // Another backend, as another run without the writer's records: the first listing HEADs each file.
  const backend = new S3Backend(requests, keys, keys.url, {metadataCache: new MemoryMetadataCache()})
  sent.length = 0
  const first = await backend.list('')
  assert.deepEqual(sent.filter((c) => c === 'HeadObjectCommand').length, 3, 'a cold cache: one HEAD per file')
  sent.length = 0
  assert.deepEqual(await backend.list(''), first)
  assert.deepEqual(sent, ['ListObjectsV2Command'], 'warm: one listing, nothing else')
})

test('a listing right after a change in the same second gives what was written, not a record of before', async () => {
  const {backend} = await subject()
  const source = new MemorySource()
  source.put('f', 'same bytes', 1_704_164_644_000)
  const from = {backend: source, path: 'f', expected: {size: 10, mtimeMs: 1_704_164_644_000}}
  await backend.writeFile('f', from, {size: 10, mtimeMs: 1_704_164_644_000}, ABSENT)
  await backend.list('') // recorded
  await backend.setMetadata('f', {mtimeMs: 1_704_164_645_000}, {type: 'file'})
  assert.equal((await backend.list(''))[0]?.mtimeNs, 1_704_164_645_000_000_000n, 'after setMetadata')
  source.put('f', 'same bytes', 1_704_164_646_000)
  await backend.writeFile('f', {...from, expected: {size: 10, mtimeMs: 1_704_164_646_000}}, {size: 10, mtimeMs: 1_704_164_646_000}, {type: 'file'})
  assert.equal((await backend.list(''))[0]?.mtimeNs, 1_704_164_646_000_000_000n, 'after a rewrite of the same bytes')
})

test("objects rclone wrote (nanosecond mtime, no metadata) read as rclone reads them", async () => {
  const {backend, requests, keys} = await subject()
  await requests.put({Key: keys.fileKey('rclone.txt'), Body: 'x', Metadata: {mtime: '1704164644.123456789'}})
  await requests.put({Key: keys.fileKey('plain.txt'), Body: 'y'})
  await requests.put({Key: keys.markerKey('empty')!, Body: ''})
  assert.equal((await backend.stat('rclone.txt'))?.mtimeNs, 1_704_164_644_123_000_000n)
  const plain = (await requests.head(keys.fileKey('plain.txt')))!
  assert.equal((await backend.stat('plain.txt'))?.mtimeNs, BigInt(plain.lastModified.getTime()) * 1_000_000n, 'LastModified stands in')
  assert.deepEqual((await backend.list('')).map((e) => [e.name, e.type]).sort(), [['empty', 'dir'], ['plain.txt', 'file'], ['rclone.txt', 'file']])
  assert.deepEqual(await backend.list('empty'), [])
})

test("the next apply aborts treesync's own abandoned multipart uploads, and no one else's", async () => {
  const {requests, keys, client: c, bucket} = await subject()
  const ours = keys.fileKey('dir/killed.bin')
  await writeClaim(requests, ours)
  await c.send(new CreateMultipartUploadCommand({Bucket: bucket, Key: ours}))
  await c.send(new CreateMultipartUploadCommand({Bucket: bucket, Key: keys.fileKey('dir/rclone.bin')}))
  assert.equal(await abortAbandonedUploads(requests, keys.base), 1)
  assert.deepEqual((await requests.pendingUploads(keys.base)).map((u) => u.key), [keys.fileKey('dir/rclone.bin')])
  assert.deepEqual(await requests.keysUnder(keys.base), [], 'the claim is gone')
})

test('an unreachable root is one line naming the bucket and the endpoint', async () => {
  const s = server()
  const place = (bucket: string, endpoint = s.endpoint) => ({bucket, endpoint})
  await assert.rejects(checkBucket(client().client, place('no-such-bucket-at-all')), {code: 'ROOT_UNREACHABLE', message: `bucket no-such-bucket-at-all at ${s.endpoint}: no such bucket`})
  const bucket = await s.createBucket('creds')
  await assert.rejects(checkBucket(client({secret: 'wrong'}).client, place(bucket)), (e: Error & {code?: string}) => e.code === 'ROOT_UNREACHABLE' && /refused \(SignatureDoesNotMatch\)|access denied/.test(e.message) && e.message.includes(bucket))
  const dead = 'http://127.0.0.1:9'
  await assert.rejects(checkBucket(client({endpoint: dead}).client, place(bucket, dead)), {code: 'ROOT_UNREACHABLE', message: `bucket ${bucket} at ${dead}: cannot reach the endpoint (connection refused)`})
  await checkBucket(client().client, place(bucket))
})

test('the run\'s connections: backends on two prefixes of one bucket, through one client; a missing bucket refused', async () => {
  const s = server()
  process.env.AWS_ACCESS_KEY_ID = s.accessKey
  process.env.AWS_SECRET_ACCESS_KEY = s.secretKey
  const connections = new S3Connections({endpoint: s.endpoint, region: s.region, env: {}})
  try {
    const bucket = await s.createBucket('conn')
    const source = new MemorySource()
    source.put('f', 'x')
    for (const prefix of ['one', 'two']) {
      const backend = await connections.backend({kind: 's3', bucket, prefix}, `s3://${bucket}/${prefix}`)
      assert.equal(backend.root, `s3://${bucket}/${prefix}`)
      await backend.writeFile('f', {backend: source, path: 'f', expected: {size: 1, mtimeMs: 1_704_164_644_000}}, {size: 1, mtimeMs: 1_704_164_644_000}, ABSENT)
      assert.equal((await backend.list(''))[0]?.name, 'f')
    }
    await assert.rejects(connections.backend({kind: 's3', bucket: 'missing-bucket', prefix: ''}, 's3://missing-bucket'), {code: 'ROOT_UNREACHABLE', message: /missing-bucket.*no such bucket/})
  } finally {
    await connections.close()
  }
})

test('a folder another tool made without a marker keeps existing when its last file is deleted (the next plan finds it)', async () => {
  const {backend, requests, keys} = await subject()
  await requests.put({Key: keys.fileKey('d/f'), Body: 'x'})
  await backend.remove('d/f', {type: 'file'})
  assert.deepEqual((await backend.list('')).map((e) => [e.name, e.type]), [['d', 'dir']])
  assert.deepEqual(await requests.keysUnder(keys.base, 5), [keys.markerKey('d')], 'a marker holds it')
  await backend.rmdir('d')
  assert.deepEqual(await requests.keysUnder(keys.base, 5), [])
})

test('a scan lists the tree flat: one request per top-level folder, each folder then served without a request', async () => {
  const {backend, requests, keys, sent} = await subject()
  for (const top of ['a', 'b']) for (const dir of ['1', '2', '3']) await requests.put({Key: keys.fileKey(`${top}/${dir}/f`), Body: 'x'})
  sent.length = 0
  backend.willListTree()
  assert.deepEqual((await backend.list('')).map((e) => e.name).sort(), ['a', 'b'])
  for (const top of ['a', 'b']) for (const dir of ['1', '2', '3']) assert.equal((await backend.list(`${top}/${dir}`)).length, 1)
  assert.deepEqual(sent.filter((name) => name === 'ListObjectsV2Command').length, 3, sent.join(' '))
})

test('a new small file is one PUT where the server refuses an overwrite itself (If-None-Match), with nothing lost if a folder appeared at its path', async () => {
  const {backend, requests, keys, sent} = await subject()
  const source = new MemorySource()
  source.put('f', 'new')
  const write = (path: string) => backend.writeFile(path, {backend: source, path: 'f', expected: {size: 3, mtimeMs: 1_704_164_644_000}}, {size: 3, mtimeMs: 1_704_164_644_000}, ABSENT)
  await write('first') // probes the conditional writes once
  sent.length = 0
  await write('second')
  assert.deepEqual(sent, ['PutObjectCommand'])
  await assert.rejects(write('second'), {code: 'PLAN_STALE', path: 'second'}, 'an object that appeared is not overwritten')
  await requests.put({Key: keys.fileKey('taken/x'), Body: 'theirs'})
  await write('taken')
  assert.deepEqual((await requests.keysUnder(keys.base, 10)).sort(), [keys.fileKey('first'), keys.fileKey('second'), keys.fileKey('taken'), keys.fileKey('taken/x')])
  assert.equal((await backend.stat('taken'))?.type, 'dir', 'the folder is what the tree shows; the next plan sees it')
})

test('after an upload the next listing needs no HEAD, and two objects of the same bytes written in one second keep their own mtimes', async () => {
  const {backend, requests, keys, sent} = await subject()
  const cache = new MemoryMetadataCache()
  const writer = new S3Backend(requests, keys, keys.url, {metadataCache: cache})
  const source = new MemorySource()
  source.put('one', 'same bytes', 1_704_164_644_000)
  source.put('two', 'same bytes', 1_600_000_000_000)
  for (const name of ['one', 'two']) {
    const mtimeMs = name === 'one' ? 1_704_164_644_000 : 1_600_000_000_000
    await writer.writeFile(name, {backend: source, path: name, expected: {size: 10, mtimeMs}}, {size: 10, mtimeMs}, ABSENT)
  }
  sent.length = 0
  const reader = new S3Backend(requests, keys, keys.url, {metadataCache: cache})
  const listed = new Map((await reader.list('')).map((e) => [e.name, e.mtimeNs]))
  assert.deepEqual(listed, new Map([['one', 1_704_164_644_000_000_000n], ['two', 1_600_000_000_000_000_000n]]))
  assert.deepEqual(sent, ['ListObjectsV2Command'])
  // The uncached backend reads the same from the objects themselves.
  assert.deepEqual(new Map((await backend.list('')).map((e) => [e.name, e.mtimeNs])), listed)
})
