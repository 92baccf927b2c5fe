import assert from 'node:assert/strict'
import {execFile, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'
import {test} from 'node:test'
import {promisify} from 'node:util'

import {radosgwForSuite, type RadosgwServer} from '../helpers/radosgw-server.js'
import {FIXED_MTIME_MS, type EntrySpec} from '../helpers/tree-builder.js'
import {localTree, s3Env} from './s3-support.js'
import {cliTrees, type Workspace} from './support.js'

/**
 * Interoperability with rclone, the other common reader and writer of this layout: what
 * rclone writes treesync reads as the same tree, and the other way round. rclone comes
 * from Debian (`apt-get install rclone`; `.ci/run` installs it), configured by the
 * environment only.
 */
const version = spawnSync('rclone', ['version'], {encoding: 'utf8'})
const skip = version.error || version.status !== 0 ? 'rclone is not installed (apt-get install rclone; .ci/run installs it)' : false
/** Directory markers came in rclone 1.65; Debian 12 has 1.60, which writes no empty directory to S3. */
const markers = !skip && /--s3-directory-markers/.test(spawnSync('rclone', ['help', 'flags', 's3'], {encoding: 'utf8'}).stdout ?? '')

const server = radosgwForSuite()
const run = promisify(execFile)
const T0 = FIXED_MTIME_MS

/** `rclone ARGS…` against the fixture as the remote `rgw:`, with no config file and nothing of the user's. */
async function rclone(ws: Workspace, s: RadosgwServer, args: string[]): Promise<{stdout: string; stderr: string}> {
  const env: NodeJS.ProcessEnv = {PATH: process.env.PATH, HOME: ws.env.HOME, TZ: 'UTC'}
  Object.assign(env, {
    RCLONE_CONFIG: join(ws.dir, 'rclone.conf'),
    RCLONE_CONFIG_RGW_TYPE: 's3',
    RCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
    RCLONE_CONFIG_RGW_ENDPOINT: s.endpoint,
    RCLONE_CONFIG_RGW_ACCESS_KEY_ID: s.accessKey,
    RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: s.secretKey,
    RCLONE_CONFIG_RGW_FORCE_PATH_STYLE: 'true',
  })
  try {
    return await run('rclone', args, {env, timeout: 60_000})
  } catch (error) {
    const e = error as {code?: number; stdout?: string; stderr?: string}
    assert.fail(`rclone ${args.join(' ')} exited ${e.code}: ${e.stdout}${e.stderr}`)
  }
}

const SOURCE: EntrySpec[] = [
  // Over rclone's upload cutoff (5M here) and treesync's part size (8 MiB): multipart both ways, with md5chksum.
  {path: 'media/big.bin', type: 'file', content: randomBytes(12 * 1024 * 1024 + 3), mtimeMs: T0 - 3_600_001},
  {path: 'docs/deep/a.txt', type: 'file', content: 'hello from a\n', mtimeMs: T0 + 1},
  {path: 'top.txt', type: 'file', content: 'top'},
  {path: 'zero.txt', type: 'file', content: '', mtimeMs: T0 - 999},
]
const EMPTY_DIR: EntrySpec = {path: 'empty', type: 'dir'}

test('rclone sync writes a tree that treesync plans as "No changes." and pulls back exactly', {skip}, async (t) => {
  if (!markers) t.diagnostic(`${version.stdout.split('\n')[0]} has no --s3-directory-markers: the tree has no empty folder`)
  const {ws, src} = await cliTrees(t, markers ? [...SOURCE, EMPTY_DIR] : SOURCE)
  const s = server()
  const bucket = await s.createBucket('rclone-in')
  t.after(() => s.request({method: 'DELETE', bucket, key: 'p/media/big.bin'}))
  await rclone(ws, s, ['sync', src, `rgw:${bucket}/p`, '--s3-upload-cutoff', '5M', '--create-empty-src-dirs', ...(markers ? ['--s3-directory-markers'] : [])])
  const head = await s.request({method: 'HEAD', bucket, key: 'p/media/big.bin'})
  assert.match(head.headers.get('etag') ?? '', /-3"$/, 'rclone uploaded it in parts')
  assert.ok(head.headers.get('x-amz-meta-md5chksum'), 'with its MD5 in md5chksum')

  const env = s3Env(s)
  const url = `s3://${bucket}/p`
  const planned = await ws.cli(['plan', src, url, '--detailed-exitcode', '--s3-endpoint', s.endpoint], {env})
  assert.equal(planned.code, 0, planned.stdout + planned.stderr)
  assert.match(planned.stdout, /No changes\./)

  const rep = join(ws.dir, 'rep')
  const pulled = await ws.cli(['apply', url, rep, '--auto-approve', '--s3-endpoint', s.endpoint], {env})
  assert.equal(pulled.code, 0, pulled.stderr)
  assert.deepEqual(await localTree(rep), await localTree(src))
  const again = await ws.cli(['plan', url, rep, '--detailed-exitcode', '--s3-endpoint', s.endpoint], {env})
  assert.equal(again.code, 0, again.stdout + again.stderr)
})

test('treesync apply writes a tree rclone checks with 0 differences, showing the source mtimes and the empty folder', {skip}, async (t) => {
  const {ws, src} = await cliTrees(t, [...SOURCE, EMPTY_DIR])
  const s = server()
  const bucket = await s.createBucket('rclone-out')
  t.after(() => s.request({method: 'DELETE', bucket, key: 'p/media/big.bin'}))
  const applied = await ws.cli(['apply', src, `s3://${bucket}/p`, '--auto-approve', '--s3-endpoint', s.endpoint], {env: s3Env(s)})
  assert.equal(applied.code, 0, applied.stderr)

  // Sizes and MD5s (the ETag of a single part, md5chksum of a multipart upload), no download.
  const files = SOURCE.length
  const checked = await rclone(ws, s, ['check', src, `rgw:${bucket}/p`])
  assert.match(checked.stderr, / 0 differences found/, checked.stderr)
  assert.match(checked.stderr, new RegExp(` ${files} matching files`), checked.stderr)
  assert.doesNotMatch(checked.stderr, /could not be checked|ERROR/, checked.stderr)

  // rclone reads the mtime metadata treesync wrote (TZ=UTC: lsl prints local times).
  const listed = await rclone(ws, s, ['lsl', `rgw:${bucket}/p`])
  const lines = listed.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).join(' ')).sort()
  const expected = (await localTree(src))
    .filter((e) => e.type === 'file')
    .map((e) => {
      const size = SOURCE.find((spec) => spec.path === e.path && spec.type === 'file') as {content: string | Buffer}
      const when = new Date(e.mtimeMs!).toISOString().replace('T', ' ').replace('Z', '000000')
      return `${Buffer.from(size.content).length} ${when} ${e.path}`
    })
    .sort()
  assert.deepEqual(lines, expected)

  const dirs = await rclone(ws, s, ['lsf', '--dirs-only', `rgw:${bucket}/p`])
  assert.deepEqual(dirs.stdout.trim().split('\n').sort(), ['docs/', 'empty/', 'media/'])
})
