import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN, hasStackTrace} from '../helpers/cli.js'
import {radosgwForSuite} from '../helpers/radosgw-server.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {FIXED_MTIME_MS, type EntrySpec} from '../helpers/tree-builder.js'
import {assertRefused, assertS3Mirror, listKeys, pendingUploads, putObject, s3Env, s3Tree} from './s3-support.js'
import {cliTrees, parseJson} from './support.js'

const server = radosgwForSuite()

const SOURCE: EntrySpec[] = [
  {path: 'a.txt', type: 'file', content: 'new a'},
  {path: 'sub/b.txt', type: 'file', content: 'b'},
]
const REPLICA: EntrySpec[] = [
  {path: 'a.txt', type: 'file', content: 'old a'},
  {path: 'extra.txt', type: 'file', content: 'would be deleted'},
]

test('an S3 root out of reach is one line naming the bucket and endpoint, exit 1, nothing changed on either side', async (t) => {
  const {ws, src, rep} = await cliTrees(t, SOURCE, REPLICA)
  const s = server()
  const bucket = await s.createBucket('cli-fail')
  await putObject(s, bucket, 'p/a.txt', 'in the bucket', FIXED_MTIME_MS)
  const bucketBefore = await s3Tree(s, bucket, 'p')
  const localBefore = await snapshotTree(ws.dir)
  const missing = `missing-${bucket}`
  const at = (endpoint: string): string => endpoint.replace(/[.:/]/g, '\\$&')
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['missing bucket, as replica', ['apply', src, `s3://${missing}/p`, '--auto-approve', '--s3-endpoint', s.endpoint], {}, new RegExp(`^Error: bucket ${missing} at ${at(s.endpoint)}: no such bucket$`)],
    ['missing bucket, as source', ['apply', `s3://${missing}`, rep, '--auto-approve', '--s3-endpoint', s.endpoint], {}, new RegExp(`^Error: bucket ${missing} at ${at(s.endpoint)}: no such bucket$`)],
    [
      'a secret key the server refuses',
      ['apply', src, `s3://${bucket}/p`, '--auto-approve', '--s3-endpoint', s.endpoint],
      {AWS_SECRET_ACCESS_KEY: 'not-the-secret-key'},
      new RegExp(`^Error: bucket ${bucket} at ${at(s.endpoint)}: (access denied|the credentials were refused)`),
    ],
    [
      'a dead endpoint',
      ['apply', `s3://${bucket}/p`, rep, '--auto-approve', '--s3-endpoint', 'http://127.0.0.1:9'],
      {},
      new RegExp(`^Error: bucket ${bucket} at http://127\\.0\\.0\\.1:9: cannot reach the endpoint \\(connection refused\\)$`),
    ],
    [
      'no credentials at all',
      ['plan', src, `s3://${bucket}/p`, '--s3-endpoint', s.endpoint],
      {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined},
      new RegExp(`^Error: bucket ${bucket} at ${at(s.endpoint)}: no AWS credentials found`),
    ],
    ['a malformed endpoint', ['apply', src, `s3://${bucket}/p`, '--auto-approve', '--s3-endpoint', 'ftp://x'], {}, /^Error: the S3 endpoint "ftp:\/\/x" is not an http:\/\/ or https:\/\/ URL$/],
    [
      // The SDK takes an empty AWS_ENDPOINT_URL_S3 as unset and uses AWS_ENDPOINT_URL: so must the messages (and identities).
      'an empty AWS_ENDPOINT_URL_S3 beside AWS_ENDPOINT_URL',
      ['plan', src, `s3://${bucket}/p`],
      {AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: 'http://127.0.0.1:9'},
      new RegExp(`^Error: bucket ${bucket} at http://127\\.0\\.0\\.1:9: cannot reach the endpoint \\(connection refused\\)$`),
    ],
    ['a malformed endpoint from the environment', ['plan', src, `s3://${bucket}/p`], {AWS_ENDPOINT_URL: 'not a url'}, /^Error: the S3 endpoint "not a url" is not an http/],
  ]
  for (const [what, args, env, message] of cases) {
    const result = await ws.cli(args, {env: s3Env(s, env), timeoutMs: 60_000})
    assert.equal(result.stdout.includes('Apply complete'), false, `${what}: ${result.stdout}`)
    try {
      assertRefused(result, message)
    } catch (error) {
      assert.fail(`${what}: ${(error as Error).message}`)
    }
  }
  const json = await ws.cli(['apply', src, `s3://${missing}/p`, '--auto-approve', '--json', '--s3-endpoint', s.endpoint], {env: s3Env(s)})
  assert.equal(json.code, 1, json.stderr)
  assert.ok(!hasStackTrace(json.stderr), json.stderr)
  const out = parseJson(json.stdout) as {error?: {code?: string; message?: string}}
  assert.equal(out.error?.code, 'ROOT_UNREACHABLE', json.stdout)
  assert.match(out.error?.message ?? '', new RegExp(`bucket ${missing} at ${at(s.endpoint)}: no such bucket`))

  assert.deepEqual(await snapshotTree(ws.dir), localBefore, 'nothing changed locally')
  assert.deepEqual(await s3Tree(s, bucket, 'p'), bucketBefore, 'nothing changed in the bucket')
  assert.deepEqual(await listKeys(s, bucket), ['p/a.txt'])
})

test('a source prefix with nothing under it (a typo) is an empty tree: the delete-all guard refuses to empty the replica', async (t) => {
  const {ws, rep} = await cliTrees(t, REPLICA, REPLICA)
  const s = server()
  const bucket = await s.createBucket('cli-typo')
  await putObject(s, bucket, 'photos/a.txt', 'old a', FIXED_MTIME_MS)
  const before = await snapshotTree(rep)
  const result = await ws.cli(['apply', `s3://${bucket}/fotos`, rep, '--auto-approve', '--s3-endpoint', s.endpoint], {env: s3Env(s)})
  assert.equal(result.code, 1, result.stdout + result.stderr)
  assert.match(result.stderr, /refusing to apply: the plan removes all 2 entries of the replica while the source holds 0 entries: is the source s3:\/\/\S+\/fotos empty/)
  assert.deepEqual(await snapshotTree(rep), before, 'nothing deleted')
})

test('kill -9 mid-upload: nothing under the final key; the next apply converges and leaves no pending upload or claim', async (t) => {
  const big = randomBytes(64 * 1024 * 1024)
  const {ws, src} = await cliTrees(t, [
    {path: 'media/big.bin', type: 'file', content: big},
    {path: 'small.txt', type: 'file', content: 'small'},
  ])
  const s = server()
  const bucket = await s.createBucket('cli-kill')
  const url = `s3://${bucket}/r`
  const bigKey = 'r/media/big.bin'
  // The bucket's memory is the OSD's: give it back.
  t.after(() => s.request({method: 'DELETE', bucket, key: bigKey}))
  const child = spawn(process.execPath, [BIN, 'apply', src, url, '--auto-approve', '--s3-endpoint', s.endpoint], {env: {...process.env, ...ws.env, ...s3Env(s)}})
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)))
  t.after(() => child.kill('SIGKILL'))
  // Kill once the server holds at least one part of the multipart upload.
  let parts = 0
  for (let i = 0; i < 600 && parts === 0 && child.exitCode === null; i++) {
    const [upload] = await pendingUploads(s, bucket)
    if (upload) {
      const listed = await s.request({method: 'GET', bucket, key: upload.key, query: {uploadId: upload.uploadId}})
      parts = (listed.text.match(/<Part>/g) ?? []).length
    }
    if (parts === 0) await sleep(20)
  }
  child.kill('SIGKILL')
  assert.equal(await exited, 'SIGKILL', `killed mid-upload, not finished: ${output}`)
  assert.ok(parts > 0, `a part was uploaded before the kill: ${output}`)
  assert.equal((await s.request({method: 'HEAD', bucket, key: bigKey})).status, 404, 'nothing under the final key')
  assert.equal((await pendingUploads(s, bucket)).length, 1, 'the killed upload is pending')
  assert.ok((await listKeys(s, bucket)).some((key) => /^r\/media\/\.treesync-.*\.tmp$/.test(key)), 'its claim is left')

  const again = await ws.cli(['apply', src, url, '--auto-approve', '--s3-endpoint', s.endpoint], {env: s3Env(s), timeoutMs: 120_000})
  assert.equal(again.code, 0, again.stdout + again.stderr)
  await assertS3Mirror(s, bucket, 'r', src)
  assert.deepEqual(await pendingUploads(s, bucket), [], 'no incomplete multipart upload is left')
  assert.deepEqual(await listKeys(s, bucket), ['r/media/', 'r/media/big.bin', 'r/small.txt'], 'no claim or temporary is left')
})
