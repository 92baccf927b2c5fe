import assert from 'node:assert/strict'
import {readFile, readlink} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {workspace} from '../cli/support.js'

async function scene(t: Parameters<typeof workspace>[0]) {
  const ws = await workspace(t)
  const s = {ws, source: join(ws.dir, 'source'), replica: join(ws.dir, 'replica'), backup: join(ws.dir, 'backup')}
  await buildTree(s.source, [
    {path: 'doc.txt', type: 'file', content: 'new version'},
    {path: 'dir', type: 'file', content: 'a file where the replica has a directory'},
  ])
  await buildTree(s.replica, [
    {path: 'doc.txt', type: 'file', content: 'old version'},
    {path: 'gone/deep.txt', type: 'file', content: 'deleted, so backed up'},
    {path: 'dir/inner.txt', type: 'file', content: 'removed by a type change'},
    {path: 'link', type: 'symlink', target: 'doc.txt'},
  ])
  return s
}

test('--backup-dir keeps every deleted or overwritten entry under its relative path', async (t) => {
  const s = await scene(t)
  const result = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--backup-dir', s.backup])
  assert.equal(result.code, 0, result.stderr)
  await assertMirror(s.source, s.replica)
  assert.equal(await readFile(join(s.backup, 'doc.txt'), 'utf8'), 'old version')
  assert.equal(await readFile(join(s.backup, 'gone/deep.txt'), 'utf8'), 'deleted, so backed up')
  assert.equal(await readFile(join(s.backup, 'dir/inner.txt'), 'utf8'), 'removed by a type change')
  assert.equal(await readlink(join(s.backup, 'link')), 'doc.txt')
})

test('a backup name that is taken gets a timestamp suffix: nothing is ever lost', async (t) => {
  const s = await scene(t)
  await buildTree(s.backup, [{path: 'doc.txt', type: 'file', content: 'an earlier backup'}])
  const result = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--backup-dir', s.backup])
  assert.equal(result.code, 0, result.stderr)
  const backups = (await snapshotTree(s.backup)).filter((e) => e.path.startsWith('doc.txt'))
  assert.equal(backups.length, 2)
  assert.equal(await readFile(join(s.backup, 'doc.txt'), 'utf8'), 'an earlier backup')
  const suffixed = backups.find((e) => e.path !== 'doc.txt')!.path
  assert.match(suffixed, /^doc\.txt\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/)
  assert.equal(await readFile(join(s.backup, suffixed), 'utf8'), 'old version')
})

test('a backup dir inside the replica is excluded from the sync', async (t) => {
  const s = await scene(t)
  const inside = join(s.replica, '.backups')
  const first = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--backup-dir', inside])
  assert.equal(first.code, 0, first.stderr)
  const plan = await s.ws.cli(['plan', s.source, s.replica, '--backup-dir', inside])
  assert.match(plan.stdout, /^No changes\./m, 'the backups are neither deleted nor reported')
  assert.equal(await readFile(join(inside, 'doc.txt'), 'utf8'), 'old version')
})

test('a backup dir that is SOURCE or REPLICA, or contains one, is refused', async (t) => {
  const s = await scene(t)
  for (const dir of [s.replica, s.source, s.ws.dir]) {
    const result = await s.ws.cli(['apply', s.source, s.replica, '--auto-approve', '--backup-dir', dir])
    assert.equal(result.code, 1, dir)
    assert.match(result.stderr, /^Error: --backup-dir .* must not be SOURCE or REPLICA, nor contain them\n$/)
  }
})
