import assert from 'node:assert/strict'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {buildTree} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, workspace} from '../cli/support.js'

async function scene(t: Parameters<typeof workspace>[0]) {
  const ws = await workspace(t)
  const source = join(ws.dir, 'source')
  const replica = join(ws.dir, 'replica')
  await buildTree(source, [
    {path: 'keep.txt', type: 'file', content: 'keep'},
    {path: 'debug.log', type: 'file', content: 'log in source'},
    {path: 'logs/keep.log', type: 'file', content: 're-included'},
    {path: 'build/out.bin', type: 'file', content: 'built'},
    {path: 'src/build/x.txt', type: 'file', content: 'nested build dir, not anchored'},
    {path: 'node_modules/pkg/index.js', type: 'file', content: 'dep'},
  ])
  await buildTree(replica, [
    {path: 'old.log', type: 'file', content: 'replica-only log, excluded: must survive'},
    {path: 'cache/data.tmp', type: 'file', content: 'excluded inside an extra dir'},
    {path: 'gone.txt', type: 'file', content: 'extra, not excluded: deleted'},
  ])
  return {ws, source, replica}
}

test('--exclude uses gitignore syntax on both trees; excluded replica entries are never deleted', async (t) => {
  const {ws, source, replica} = await scene(t)
  const args = ['--exclude', '*.log', '--exclude', '!logs/keep.log', '--exclude', '/build/', '--exclude', '*.tmp']
  const plan = await ws.cli(['plan', source, replica, '--json', ...args])
  assert.equal(plan.code, 0, plan.stderr)
  const paths = JSON.parse(plan.stdout).operations.map((op: {op: string; path: string}) => `${op.op} ${op.path}`)
  assert.deepEqual(paths.sort(), [
    'create keep.txt',
    'create logs/keep.log',
    'create node_modules/pkg/index.js',
    'create src/build/x.txt',
    'delete gone.txt',
    'mkdir logs',
    'mkdir node_modules',
    'mkdir node_modules/pkg',
    'mkdir src',
    'mkdir src/build',
  ])

  const applied = await ws.cli(['apply', source, replica, '--auto-approve', ...args])
  assert.equal(applied.code, 0, applied.stderr)
  assert.equal(await readFile(join(replica, 'old.log'), 'utf8'), 'replica-only log, excluded: must survive')
  assert.equal(await readFile(join(replica, 'cache/data.tmp'), 'utf8'), 'excluded inside an extra dir')
  const names = (await snapshotTree(replica)).map((e) => e.path)
  assert.ok(!names.includes('debug.log') && !names.includes('build'), 'excluded source entries are not copied')
  assert.ok(names.includes('cache'), 'a directory holding an excluded entry is kept')
  assert.match((await ws.cli(['plan', source, replica, ...args])).stdout, /^No changes\./m)
})

test('--exclude-from reads a gitignore-style file with comments and blank lines', async (t) => {
  const {ws, source, replica} = await scene(t)
  const file = join(ws.dir, 'excludes.txt')
  await writeFile(file, '# build outputs\n/build/\n\nnode_modules/\n*.log\n!logs/keep.log\n')
  const plan = await ws.cli(['plan', source, replica, '--json', '--exclude-from', file])
  assert.equal(plan.code, 0, plan.stderr)
  const paths: string[] = JSON.parse(plan.stdout).operations.map((op: {path: string}) => op.path)
  assert.ok(!paths.some((p) => p.startsWith('node_modules') || p === 'build' || p === 'debug.log' || p === 'old.log'))
  assert.ok(paths.includes('logs/keep.log'))
})

test('an unreadable --exclude-from file is refused with one line, nothing touched', async (t) => {
  const {ws, source, replica} = await scene(t)
  const before = await snapshotTree(replica)
  const result = await ws.cli(['apply', source, replica, '--auto-approve', '--exclude-from', join(ws.dir, 'missing.txt')])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /^Error: cannot read exclude file .*missing\.txt: no such file or directory\n$/)
  assert.deepEqual(await snapshotTree(replica), before)
})

test('excludes match case-sensitively: --exclude readme.md keeps README.md in the mirror, /build/ keeps Build/', async (t) => {
  const {ws, src: source, rep: replica} = await cliTrees(t, [
    {path: 'README.md', type: 'file', content: 'the readme'},
    {path: 'readme.md', type: 'file', content: 'excluded'},
    {path: 'Build/keep.txt', type: 'file', content: 'kept'},
    {path: 'build/out.bin', type: 'file', content: 'excluded'},
  ])
  const applied = await ws.cli(['apply', source, replica, '--auto-approve', '--exclude', 'readme.md', '--exclude', '/build/'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.deepEqual((await snapshotTree(replica)).map((e) => e.path).sort(), ['Build', 'Build/keep.txt', 'README.md'])
  assert.equal(await readFile(join(replica, 'README.md'), 'utf8'), 'the readme')
})

test('a pattern that can never match is warned about on stderr by plan and apply, and logged', async (t) => {
  const {ws, source, replica} = await scene(t)
  const log = join(ws.dir, 'sync.log')
  const plan = await ws.cli(['plan', source, replica, '--exclude', './debug.log', '--exclude', `${source}/build/`, '--json'])
  assert.equal(plan.code, 0, plan.stderr)
  assert.match(plan.stderr, /^warning: exclude pattern "\.\/debug\.log" can never match.*did you mean "\/debug\.log"\?/m)
  assert.ok(plan.stderr.includes(`exclude pattern "${source}/build/" is an absolute path`), plan.stderr)
  assert.match(plan.stderr, /did you mean "\/build\/"\?/)
  JSON.parse(plan.stdout) // stdout still holds the plan alone

  const applied = await ws.cli(['apply', source, replica, '--auto-approve', '--exclude', './debug.log', '--exclude', '*.tmp', '--log-file', log])
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stderr, / WARN exclude pattern "\.\/debug\.log" can never match/)
  assert.match(await readFile(log, 'utf8'), / WARN exclude pattern "\.\/debug\.log" can never match/)
  assert.ok(!applied.stdout.includes('exclude pattern'), 'the warning is not on stdout')

  const clean = await ws.cli(['plan', source, replica, '--exclude', '/debug.log'])
  assert.equal(clean.stderr, '', 'a pattern that works is not warned about')
})
