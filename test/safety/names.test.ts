import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror} from '../helpers/tree-snapshot.js'
import {workspace} from '../cli/support.js'

test('names with newlines, tabs and quotes are quoted in output and logs, and mirrored byte-exact', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  const log = join(ws.dir, 'log.txt')
  const names = ['line\nbreak.txt', 'tab\there', 'quote"s', 'back\\slash', 'caf\u00e9', 'cafe\u0301', ' lead and trail ']
  await buildTree(source, names.map((path) => ({path, type: 'file' as const, content: path})))
  const plan = await ws.cli(['plan', source, replica])
  assert.equal(plan.code, 0)
  assert.ok(plan.stdout.includes('+ "line\\nbreak.txt" (missing'), plan.stdout)
  assert.ok(plan.stdout.includes('+ "tab\\there" (missing'))
  const applied = await ws.cli(['apply', source, replica, '--auto-approve', '--log-file', log])
  assert.equal(applied.code, 0, applied.stderr)
  await assertMirror(source, replica)
  const lines = (await readFile(log, 'utf8')).trimEnd().split('\n')
  assert.equal(lines.filter((l) => / INFO create /.test(l)).length, names.length, 'one log line per entry, whatever its name')
})

test('very long paths (close to PATH_MAX) are scanned and mirrored', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  const segment = 'd'.repeat(200)
  const depth = Math.floor((3900 - replica.length) / 201)
  const deep = Array.from({length: depth}, (_, i) => `${i}${segment}`.slice(0, 200)).join('/')
  await mkdir(join(source, deep), {recursive: true})
  await writeFile(join(source, deep, 'f.txt'), 'deep')
  assert.ok(join(replica, deep, 'f.txt').length > 3800, 'the path is close to PATH_MAX (4096)')
  const applied = await ws.cli(['apply', source, replica, '--auto-approve'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.equal(await readFile(join(replica, deep, 'f.txt'), 'utf8'), 'deep')
  assert.match((await ws.cli(['plan', source, replica])).stdout, /^No changes\./m)
})

test('10,000 entries in one directory', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  await mkdir(join(source, 'many'), {recursive: true})
  for (let i = 0; i < 10_000; i += 500) {
    await Promise.all(Array.from({length: 500}, (_, j) => writeFile(join(source, 'many', `f${i + j}`), `${i + j}`)))
  }
  const applied = await ws.cli(['apply', source, replica, '--auto-approve', '--json'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.equal(JSON.parse(applied.stdout).summary.create, 10_000)
  await assertMirror(source, replica)
  assert.match((await ws.cli(['plan', source, replica])).stdout, /^No changes\./m)
})

test('a backslash is an ordinary character in a name: planned, saved, applied', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  await buildTree(source, [{path: 'win\\style.txt', type: 'file', content: 'backslash'}])
  const planFile = join(ws.dir, 'p.json')
  assert.equal((await ws.cli(['plan', source, replica, '--out', planFile])).code, 0)
  const applied = await ws.cli(['apply', planFile])
  assert.equal(applied.code, 0, applied.stderr)
  await assertMirror(source, replica)
})

test('a FIFO in a replica directory keeps that directory; the rest of the sync succeeds', async (t) => {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  await buildTree(source, [{path: 'keep.txt', type: 'file', content: 'k'}])
  await buildTree(replica, [{path: 'x/old.txt', type: 'file', content: 'o'}])
  execFileSync('mkfifo', [join(replica, 'x', 'pipe')])
  const applied = await ws.cli(['apply', source, replica, '--auto-approve'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stderr, /x\/pipe: replica: skipped: not a regular file/)
  assert.deepEqual((await readdir(join(replica, 'x'))).sort(), ['pipe'])
})
