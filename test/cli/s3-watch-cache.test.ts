import assert from 'node:assert/strict'
import {readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {radosgwForSuite} from '../helpers/radosgw-server.js'
import type {EntrySpec} from '../helpers/tree-builder.js'
import {eventually, logLines, startCli} from '../watch/watch-process.js'
import {assertRefused, assertS3Mirror, countingProxy, s3Env, type SeenRequest} from './s3-support.js'
import {cliTrees} from './support.js'

const server = radosgwForSuite()

const SOURCE: EntrySpec[] = [
  ...Array.from({length: 12}, (_, i): EntrySpec => ({path: `d${i % 3}/f${i}.txt`, type: 'file', content: `file ${i}\n`})),
  {path: 'top.txt', type: 'file', content: 'top'},
  {path: 'empty', type: 'dir'},
]
const FILES = 13

const isBucketCheck = (r: SeenRequest): boolean => r.method === 'HEAD' && r.key === ''
const isObjectHead = (r: SeenRequest): boolean => r.method === 'HEAD' && r.key !== ''
const isListing = (r: SeenRequest): boolean => r.method === 'GET' && r.key === '' && r.query.get('list-type') === '2'

test('a warm plan of an unchanged S3 replica lists and makes no HEAD: the metadata records persist in --cache-dir', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const s = server()
  const bucket = await s.createBucket('cli-warm')
  const url = `s3://${bucket}/r`
  const cache = join(ws.dir, 'cache')
  const env = s3Env(s)
  // One endpoint for every run: the records are kept per endpoint and root.
  const proxy = await countingProxy(t, s.endpoint)
  const applied = await ws.cli(['apply', src, url, '--auto-approve', '--cache-dir', cache, '--s3-endpoint', proxy.endpoint], {env})
  assert.equal(applied.code, 0, applied.stderr)
  const appliedAt = Date.now()
  const plan = async (args: string[]): Promise<SeenRequest[]> => {
    const from = proxy.requests.length
    const result = await ws.cli(['plan', src, url, '--detailed-exitcode', '--s3-endpoint', proxy.endpoint, ...args], {env})
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /No changes\./)
    return proxy.requests.slice(from)
  }

  // Without the cache, each object's mtime costs a HEAD: what the warm plan saves.
  const cold = await plan(['--no-cache'])
  assert.equal(cold.filter(isObjectHead).length, FILES, 'a HEAD per file without the cache')
  // Records of objects written in the last 2 s are not kept (see metadata-cache-file.ts): wait that out.
  await sleep(Math.max(0, appliedAt + 3000 - Date.now()))
  await plan(['--cache-dir', cache])
  assert.equal((await readdir(join(cache, 's3-metadata'))).filter((name) => name.endsWith('.json')).length, 1, 'one record file for the root')

  const warm = await plan(['--cache-dir', cache])
  const summary = warm.map((r) => `${r.method} /${r.bucket}/${r.key}?${r.query}`).join('\n')
  assert.equal(warm.filter(isObjectHead).length, 0, `no HEAD of an object:\n${summary}`)
  assert.ok(warm.every((r) => isListing(r) || isBucketCheck(r)), `list requests (and the bucket check) only:\n${summary}`)
  assert.equal(warm.filter(isListing).length, 5, `one listing per directory (the root, d0, d1, d2, empty):\n${summary}`)
})

test('watch with an S3 replica keeps one client across cycles: one bucket check, no new connections, a change between cycles arrives; it holds the replica lock', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const s = server()
  const bucket = await s.createBucket('cli-watch')
  const proxy = await countingProxy(t, s.endpoint)
  const log = join(ws.dir, 'watch.log')
  const common = ['--cache-dir', join(ws.dir, 'cache'), '--s3-endpoint', proxy.endpoint]
  const watch = startCli(t, ['watch', src, `s3://${bucket}/w`, '0.3', log, ...common], {...ws.env, ...s3Env(s)})
  const idleCycles = async (): Promise<number> => (await logLines(log)).filter((l) => / cycle \d+: no changes/.test(l)).length
  await eventually(() => assertS3Mirror(s, bucket, 'w', src), 20_000, 'the first mirror')
  await eventually(async () => (await idleCycles()) >= 2, 20_000, `idle cycles after the first mirror (${watch.output()})`)
  const connections = proxy.connections

  await writeFile(join(ws.dir, 'src', 'between.txt'), 'written between two cycles')
  await eventually(() => assertS3Mirror(s, bucket, 'w', src), 20_000, 'the change between cycles')
  const idle = await idleCycles()
  await eventually(async () => (await idleCycles()) >= idle + 3, 20_000, 'more idle cycles')
  assert.equal(proxy.requests.filter(isBucketCheck).length, 1, 'the bucket was checked once for the whole watch')
  // A client per cycle would open a connection per cycle at least.
  assert.ok(proxy.connections - connections <= 1, `${proxy.connections - connections} connections opened over 4 cycles`)
  assert.deepEqual((await logLines(log)).filter((l) => / (ERROR|WARN) /.test(l)), [])
  // One writer per replica: an apply to it while the watch runs is refused (its lock stands in the cache directory).
  const second = await ws.cli(['apply', src, `s3://${bucket}/w/`, '--auto-approve', ...common], {env: s3Env(s)})
  assertRefused(second, /^Error: replica s3:\/\/\S+\/w is locked by another treesync process \(pid \d+\)$/)
  watch.child.kill('SIGTERM')
  assert.equal(await watch.exited, 0, watch.output())
})

test('one S3 replica, one writer, however the endpoint is spelled (a trailing slash, an upper-case scheme)', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const s = server()
  const bucket = await s.createBucket('cli-lock')
  const url = `s3://${bucket}/l`
  const cache = ['--cache-dir', join(ws.dir, 'cache')]
  const log = join(ws.dir, 'watch.log')
  const watch = startCli(t, ['watch', src, url, '3600', log, ...cache, '--s3-endpoint', s.endpoint], {...ws.env, ...s3Env(s)})
  await eventually(async () => (await logLines(log)).some((l) => / cycle 1: /.test(l)), 20_000, `the first cycle (${watch.output()})`)
  for (const endpoint of [`${s.endpoint}/`, s.endpoint.replace('http:', 'HTTP:')]) {
    const second = await ws.cli(['apply', src, url, '--auto-approve', ...cache, '--s3-endpoint', endpoint], {env: s3Env(s)})
    assertRefused(second, /^Error: replica s3:\/\/\S+\/l is locked by another treesync process \(pid \d+\)$/)
  }
  watch.child.kill('SIGTERM')
  assert.equal(await watch.exited, 0, watch.output())
})
