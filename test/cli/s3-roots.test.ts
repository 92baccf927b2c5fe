import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {mkdir, readFile, rm, rmdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {radosgwForSuite} from '../helpers/radosgw-server.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {FIXED_MTIME_MS, setTime, type EntrySpec} from '../helpers/tree-builder.js'
import {assertS3Mirror, countingProxy, listKeys, localTree, md5, putObject, s3Env, s3Tree} from './s3-support.js'
import {cliTrees, operationLines, parseJson, workspace, type PlanJson} from './support.js'

const server = radosgwForSuite()
const T0 = FIXED_MTIME_MS
const endpointArgs = (): string[] => ['--s3-endpoint', server().endpoint]

/** A tree with nested and empty folders and mtimes with milliseconds. */
const SOURCE: EntrySpec[] = [
  {path: 'docs/a.txt', type: 'file', content: 'hello docs\n', mtimeMs: T0 - 1},
  {path: 'docs/deep/b.bin', type: 'file', content: randomBytes(3000), mtimeMs: T0 - 86_400_123},
  {path: 'empty/nested', type: 'dir'},
  {path: 'lonely', type: 'dir'},
  {path: 'top.txt', type: 'file', content: 'top', mtimeMs: T0 + 999},
  {path: 'zero.txt', type: 'file', content: ''},
]

async function assertNoChanges(result: {code: number | null; stdout: string; stderr: string}): Promise<void> {
  assert.equal(result.code, 0, result.stdout + result.stderr)
  assert.match(result.stdout, /No changes\./)
}

test('local → S3: an exact mirror (bytes, mtimes to the ms, empty folders as dir/ markers), then "No changes."', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const s = server()
  const bucket = await s.createBucket('cli-push')
  const url = `s3://${bucket}/backup`
  const env = s3Env(s)
  const planned = await ws.cli(['plan', src, url, ...endpointArgs()], {env})
  assert.equal(planned.code, 0, planned.stderr)
  assert.match(planned.stdout, new RegExp(`Replica ${url} keeps: mtimes to 1 ms`))
  const applied = await ws.cli(['apply', src, url, '--auto-approve', ...endpointArgs()], {env})
  assert.equal(applied.code, 0, applied.stderr)
  await assertS3Mirror(s, bucket, 'backup', src)
  const keys = await listKeys(s, bucket)
  for (const marker of ['backup/empty/nested/', 'backup/lonely/']) assert.ok(keys.includes(marker), `${marker} in ${keys.join(' ')}`)
  assert.ok(keys.every((key) => key.startsWith('backup/')), `nothing outside the prefix: ${keys.join(' ')}`)
  // The endpoint from the environment this time (AWS_ENDPOINT_URL), no flag.
  await assertNoChanges(await ws.cli(['plan', src, url, '--detailed-exitcode'], {env: s3Env(s, {AWS_ENDPOINT_URL: s.endpoint})}))
})

test('S3 → local from a prefix of a bucket other tools wrote: files with their mtimes, empty folders, nothing from beside the prefix', async (t) => {
  const ws = await workspace(t)
  const s = server()
  const bucket = await s.createBucket('cli-pull')
  await putObject(s, bucket, 'site/index.html', '<h1>hi</h1>', T0 + 5)
  await putObject(s, bucket, 'site/img/logo.svg', '<svg/>', T0 - 60_000)
  await putObject(s, bucket, 'site/img/', '')
  await putObject(s, bucket, 'site/empty/', '')
  await putObject(s, bucket, 'site/empty/deeper/', '')
  // Beside the prefix: a sibling, and a name that only starts with the prefix's letters.
  await putObject(s, bucket, 'other/x.txt', 'not mine', T0)
  await putObject(s, bucket, 'site2/y.txt', 'not mine either', T0)
  const rep = join(ws.dir, 'rep')
  const applied = await ws.cli(['apply', `s3://${bucket}/site`, rep, '--auto-approve', ...endpointArgs()], {env: s3Env(s)})
  assert.equal(applied.code, 0, applied.stderr)
  assert.deepEqual(await localTree(rep), [
    {path: 'empty', type: 'dir'},
    {path: 'empty/deeper', type: 'dir'},
    {path: 'img', type: 'dir'},
    {path: 'img/logo.svg', type: 'file', md5: md5('<svg/>'), mtimeMs: T0 - 60_000},
    {path: 'index.html', type: 'file', md5: md5('<h1>hi</h1>'), mtimeMs: T0 + 5},
  ])
  assert.deepEqual(await s3Tree(s, bucket, 'site'), await localTree(rep))
  // S3 keeps no folder mtimes: the local folders keep the time they were made, not 0 (1970).
  for (const dir of (await snapshotTree(rep)).filter((e) => e.type === 'dir')) assert.ok(dir.mtimeMs! > T0, `${dir.path}: ${new Date(dir.mtimeMs!).toISOString()}`)
  await assertNoChanges(await ws.cli(['plan', `s3://${bucket}/site`, rep, '--detailed-exitcode', ...endpointArgs()], {env: s3Env(s)}))
})

test('every kind of operation against an S3 replica: create, update (same size too), meta without re-upload, delete, rmdir, mkdir', async (t) => {
  const {ws, src} = await cliTrees(t, [
    {path: 'keep.txt', type: 'file', content: 'unchanged'},
    {path: 'grow.txt', type: 'file', content: 'old'},
    {path: 'same.txt', type: 'file', content: 'AAAA'},
    {path: 'touch.txt', type: 'file', content: 'only my mtime changes'},
    {path: 'sub/gone.txt', type: 'file', content: 'to be deleted'},
    {path: 'olddir', type: 'dir'},
  ])
  const s = server()
  const bucket = await s.createBucket('cli-ops')
  const url = `s3://${bucket}/r`
  const env = s3Env(s)
  assert.equal((await ws.cli(['apply', src, url, '--auto-approve', ...endpointArgs()], {env})).code, 0)
  await assertS3Mirror(s, bucket, 'r', src)

  await writeFile(join(src, 'new.txt'), 'brand new')
  await writeFile(join(src, 'grow.txt'), 'new and longer')
  // Same size and same mtime: only the content hash tells it changed.
  await writeFile(join(src, 'same.txt'), 'BBBB')
  await setTime(join(src, 'same.txt'), T0)
  await setTime(join(src, 'touch.txt'), T0 + 1234)
  await rm(join(src, 'sub/gone.txt'))
  await setTime(join(src, 'sub'), T0)
  await rmdir(join(src, 'olddir'))
  await mkdir(join(src, 'newdir'))
  const planFile = join(ws.dir, 'plan.json')
  const planned = await ws.cli(['plan', src, url, '--json', '--out', planFile, ...endpointArgs()], {env})
  assert.equal(planned.code, 0, planned.stderr)
  const ops = (parseJson(planned.stdout) as PlanJson).operations.map((o) => `${o.op} ${o.path}`).sort()
  assert.deepEqual(ops, ['create new.txt', 'delete sub/gone.txt', 'meta touch.txt', 'mkdir newdir', 'rmdir olddir', 'update grow.txt', 'update same.txt'])

  const proxy = await countingProxy(t, s.endpoint)
  const applied = await ws.cli(['apply', planFile, '--s3-endpoint', proxy.endpoint], {env})
  assert.equal(applied.code, 0, applied.stderr)
  await assertS3Mirror(s, bucket, 'r', src)
  const keys = await listKeys(s, bucket, 'r/')
  assert.ok(keys.includes('r/newdir/') && !keys.includes('r/olddir/'), keys.join(' '))
  const writesOf = (key: string) => proxy.requests.filter((r) => r.method === 'PUT' && r.key === key)
  assert.deepEqual(writesOf('r/touch.txt').map((r) => r.copy), [true], 'the mtime set by a server-side copy, no bytes sent')
  assert.equal(writesOf('r/keep.txt').length, 0)
  const touched = await s.request({method: 'HEAD', bucket, key: 'r/touch.txt'})
  assert.equal(touched.headers.get('x-amz-meta-mtime'), `${(T0 + 1234) / 1000}000000`)
  await assertNoChanges(await ws.cli(['plan', src, url, '--detailed-exitcode', ...endpointArgs()], {env}))
})

test('a 20 MiB file goes up in 8 MiB parts with md5chksum metadata, and converges', async (t) => {
  const big = randomBytes(20 * 1024 * 1024 + 17)
  const {ws, src} = await cliTrees(t, [{path: 'media/big.bin', type: 'file', content: big, mtimeMs: T0 + 321}])
  const s = server()
  const bucket = await s.createBucket('cli-big')
  const url = `s3://${bucket}/m`
  t.after(() => s.request({method: 'DELETE', bucket, key: 'm/media/big.bin'}))
  const applied = await ws.cli(['apply', src, url, '--auto-approve', ...endpointArgs()], {env: s3Env(s)})
  assert.equal(applied.code, 0, applied.stderr)
  const head = await s.request({method: 'HEAD', bucket, key: 'm/media/big.bin'})
  assert.equal(head.status, 200)
  assert.match(head.headers.get('etag') ?? '', /-3"$/, 'three parts of 8 MiB')
  assert.equal(head.headers.get('x-amz-meta-md5chksum'), Buffer.from(md5(big), 'hex').toString('base64'))
  assert.equal(Number(head.headers.get('content-length')), big.length)
  await assertS3Mirror(s, bucket, 'm', src)
  await assertNoChanges(await ws.cli(['plan', src, url, '--detailed-exitcode', ...endpointArgs()], {env: s3Env(s)}))
})

test('a symlink in the source is a plan warning, not a failure, and never comes back as a change', async (t) => {
  const {ws, src} = await cliTrees(t, [
    {path: 'a.txt', type: 'file', content: 'a'},
    {path: 'link', type: 'symlink', target: 'a.txt'},
  ])
  const s = server()
  const bucket = await s.createBucket('cli-link')
  const url = `s3://${bucket}`
  const applied = await ws.cli(['apply', src, url, '--auto-approve', ...endpointArgs()], {env: s3Env(s)})
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stderr, /link: not synced: the replica cannot hold symbolic links/)
  assert.deepEqual(await listKeys(s, bucket), ['a.txt'])
  const again = await ws.cli(['plan', src, url, '--detailed-exitcode', ...endpointArgs()], {env: s3Env(s)})
  await assertNoChanges(again)
  assert.match(again.stderr, /link: not synced: the replica cannot hold symbolic links/)
  assert.deepEqual(operationLines(again.stdout), [])
})

test('a saved plan is refused as stale when an object changed behind its back; nothing is applied', async (t) => {
  const {ws, src} = await cliTrees(t, [
    {path: 'a.txt', type: 'file', content: 'source a'},
    {path: 'b.txt', type: 'file', content: 'source b'},
  ])
  const s = server()
  const bucket = await s.createBucket('cli-stale')
  const url = `s3://${bucket}/p`
  await putObject(s, bucket, 'p/a.txt', 'replica a', T0 - 1000)
  await putObject(s, bucket, 'p/extra.txt', 'would be deleted', T0)
  const planFile = join(ws.dir, 'sync.plan')
  assert.equal((await ws.cli(['plan', src, url, '--out', planFile, ...endpointArgs()], {env: s3Env(s)})).code, 0)
  assert.equal((JSON.parse(await readFile(planFile, 'utf8')) as {replica: string}).replica, url, 'the plan names the replica by its URL')
  await putObject(s, bucket, 'p/a.txt', 'edited behind treesync', T0 - 1000)
  const before = await s3Tree(s, bucket, 'p')
  const refused = await ws.cli(['apply', planFile, ...endpointArgs()], {env: s3Env(s)})
  assert.equal(refused.code, 1, refused.stdout + refused.stderr)
  assert.match(refused.stderr, /plan is stale: a\.txt/)
  assert.deepEqual(await s3Tree(s, bucket, 'p'), before, 'nothing was applied')
  assert.deepEqual(await listKeys(s, bucket), ['p/a.txt', 'p/extra.txt'])
})

test('two prefixes of one bucket as SOURCE and REPLICA; nested prefixes are refused as overlapping', async (t) => {
  const {ws, src} = await cliTrees(t, SOURCE)
  const s = server()
  const bucket = await s.createBucket('cli-two')
  const env = s3Env(s)
  assert.equal((await ws.cli(['apply', src, `s3://${bucket}/a`, '--auto-approve', ...endpointArgs()], {env})).code, 0)
  const copied = await ws.cli(['apply', `s3://${bucket}/a`, `s3://${bucket}/c`, '--auto-approve', ...endpointArgs()], {env})
  assert.equal(copied.code, 0, copied.stderr)
  assert.deepEqual(await s3Tree(s, bucket, 'c'), await localTree(src))
  await assertNoChanges(await ws.cli(['plan', `s3://${bucket}/a`, `s3://${bucket}/c`, '--detailed-exitcode', ...endpointArgs()], {env}))

  const keys = await listKeys(s, bucket)
  for (const [source, replica, message] of [
    [`s3://${bucket}/a`, `s3://${bucket}/a/x`, /^Error: replica s3:\/\/\S+\/a\/x is inside source s3:\/\/\S+\/a$/],
    [`s3://${bucket}/a/docs`, `s3://${bucket}/a`, /^Error: source s3:\/\/\S+\/a\/docs is inside replica s3:\/\/\S+\/a$/],
    [`s3://${bucket}`, `s3://${bucket}/c`, /^Error: replica s3:\/\/\S+\/c is inside source s3:\/\/[^/\s]+$/],
    [`s3://${bucket}/a`, `s3://${bucket}/a/`, /^Error: source and replica are the same/],
  ] as const) {
    const result = await ws.cli(['apply', source, replica, '--auto-approve', ...endpointArgs()], {env})
    assert.equal(result.code, 1, `${source} → ${replica}: ${result.stdout}${result.stderr}`)
    assert.match(result.stderr.trim(), message)
  }
  assert.deepEqual(await listKeys(s, bucket), keys, 'nothing written')
})
