import assert from 'node:assert/strict'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {hasStackTrace, UNREACHABLE_S3_ENV} from '../helpers/cli.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, lines} from './support.js'

/**
 * Remote roots that cannot be used, the start of their refusal, and whether it names the
 * argument's role: SFTP servers that refuse the connection (port 9 of 127.0.0.1, where
 * nothing listens; `nas` is that in the workspace's ~/.ssh/config, so the rsync style
 * needs no DNS either), and an S3 endpoint that refuses the connection (the same port,
 * given by AWS_ENDPOINT_URL in the workspace's environment).
 */
const REMOTE: Array<[string, RegExp, boolean]> = [
  ['user@nas:/backup', /^Error: cannot connect to user@nas:9 \(HostName 127\.0\.0\.1\): connection refused$/, false],
  ['user@nas:backup', /^Error: cannot connect to user@nas:9 \(HostName 127\.0\.0\.1\): connection refused$/, false],
  ['sftp://backup@127.0.0.1:9/volume1/photos', /^Error: cannot connect to backup@127\.0\.0\.1:9: connection refused$/, false],
  ['s3://photos/2024', /^Error: bucket photos at http:\/\/127\.0\.0\.1:9: cannot reach the endpoint \(connection refused\)$/, false],
]

/** Each way a root reaches the CLI: plan, apply (with --mkpath, which must not help), watch; as SOURCE and as REPLICA. */
const COMMANDS: Array<[string, (root: string, other: string) => string[]]> = [
  ['apply, as REPLICA', (root, other) => ['apply', other, root, '--auto-approve', '--mkpath', '--log-file', 'sync.log']],
  ['apply, as SOURCE', (root, other) => ['apply', root, other, '--auto-approve', '--mkpath']],
  ['plan, as REPLICA', (root, other) => ['plan', other, root, '--out', 'p.json', '--mkpath']],
  ['plan, as SOURCE', (root, other) => ['plan', root, other, '--log-file', 'plan.log']],
  ['watch, as REPLICA', (root, other) => ['watch', other, root, '60', 'watch.log', '--mkpath']],
  ['watch, as SOURCE', (root, other) => ['watch', root, other, '--interval', '60']],
]

describe('a remote root out of reach is refused, and nothing is created for it', () => {
  for (const [root, message, namesRole] of REMOTE) {
    for (const [name, args] of COMMANDS) {
      test(`${name}: ${root}`, async (t) => {
        const {ws} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}], [])
        await mkdir(join(ws.env.HOME!, '.ssh'), {recursive: true})
        await writeFile(join(ws.env.HOME!, '.ssh', 'config'), 'Host nas\n  HostName 127.0.0.1\n  Port 9\n')
        Object.assign(ws.env, UNREACHABLE_S3_ENV)
        const before = await snapshotTree(ws.dir)
        const result = await ws.cli(args(root, name.endsWith('SOURCE') ? './rep' : './src'), {cwd: ws.dir, timeoutMs: 20_000})
        assert.equal(result.code, 1, result.stderr)
        assert.equal(result.stdout, '')
        assert.equal(lines(result.stderr).length, 1, result.stderr)
        assert.match(result.stderr.trimEnd(), message)
        if (namesRole) assert.match(result.stderr, name.endsWith('SOURCE') ? /: SOURCE / : /: REPLICA /)
        assert.ok(!hasStackTrace(result.stderr))
        assert.deepEqual(await snapshotTree(ws.dir), before, 'no folder, log or plan file was created')
      })
    }
  }

  test('--json: one JSON error with the stable code and the argument', async (t) => {
    const {ws} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}])
    Object.assign(ws.env, UNREACHABLE_S3_ENV)
    const result = await ws.cli(['plan', './src', 's3://photos', '--json'], {cwd: ws.dir})
    assert.equal(result.code, 1)
    assert.deepEqual(JSON.parse(result.stdout), {
      error: {code: 'ROOT_UNREACHABLE', message: 'bucket photos at http://127.0.0.1:9: cannot reach the endpoint (connection refused)'},
    })
  })

  test('a malformed root is one line naming it, before anything else', async (t) => {
    const {ws} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}])
    const before = await snapshotTree(ws.dir)
    for (const [root, problem] of [
      ['s3://', /REPLICA s3:\/\/ is not a valid root: the bucket name is missing/],
      ['sftp://nas', /REPLICA sftp:\/\/nas is not a valid root: an sftp:\/\/ root needs a path/],
      ['sftp://nas:99999/x', /REPLICA sftp:\/\/nas:99999\/x is not a valid root: the port "99999"/],
      [':backup', /REPLICA :backup is not a valid root: the host is missing \(for a local path, write \.\/:backup\)/],
      ['s3://Bad_Bucket', /REPLICA s3:\/\/Bad_Bucket is not a valid root: "Bad_Bucket" is not a bucket name/],
    ] as const) {
      const result = await ws.cli(['apply', './src', root, '--auto-approve', '--mkpath'], {cwd: ws.dir})
      assert.equal(result.code, 1, root)
      assert.equal(lines(result.stderr).length, 1, result.stderr)
      assert.match(result.stderr, new RegExp(`^Error: ${problem.source}`))
      assert.ok(!hasStackTrace(result.stderr))
    }
    assert.deepEqual(await snapshotTree(ws.dir), before)
  })
})

describe('a local folder with a colon in its name', () => {
  test('./user@host:backup is a local folder: apply creates it and the next plan has no changes', async (t) => {
    const {ws} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'hello'}])
    const applied = await ws.cli(['apply', './src', './user@host:backup', '--auto-approve'], {cwd: ws.dir})
    assert.equal(applied.code, 0, applied.stderr)
    assert.equal(await readFile(join(ws.dir, 'user@host:backup', 'a.txt'), 'utf8'), 'hello')
    const again = await ws.cli(['plan', './src', './user@host:backup', '--detailed-exitcode'], {cwd: ws.dir})
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^No changes\./m)
  })

  test('as SOURCE, and by an absolute path', async (t) => {
    const {ws} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'hi'}])
    assert.equal((await ws.cli(['apply', './src', './a:b', '--auto-approve'], {cwd: ws.dir})).code, 0)
    const applied = await ws.cli(['apply', './a:b', join(ws.dir, 'c:d'), '--auto-approve'], {cwd: ws.dir})
    assert.equal(applied.code, 0, applied.stderr)
    assert.equal(await readFile(join(ws.dir, 'c:d', 'a.txt'), 'utf8'), 'hi')
  })
})
