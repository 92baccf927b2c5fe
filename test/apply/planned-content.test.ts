import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {appendFile, copyFile, lstat, readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import {applyPlan, verifyPlan, type ApplyOptions} from '../../src/index.js'
import {letOthersReachTheCli, NOBODY, workspace} from '../cli/support.js'
import {rewriteKeepingSizeAndMtime} from '../helpers/same-size-rewrite.js'
import {planOnly} from '../helpers/sync-on-disk.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'

const md5 = (bytes: string | Buffer): string => createHash('md5').update(bytes).digest('hex')

/** A plan that updates a.txt ("old a" → "new a") and creates b.txt and d/c.txt. */
async function scene(t: TestContext) {
  const root = await tempDir(t)
  const s = {source: join(root, 'source'), replica: join(root, 'replica')}
  await buildTree(s.source, [
    {path: 'a.txt', type: 'file', content: 'new a'},
    {path: 'b.txt', type: 'file', content: 'new b'},
    {path: 'd/c.txt', type: 'file', content: 'new c'},
  ])
  await buildTree(s.replica, [{path: 'a.txt', type: 'file', content: 'old a'}])
  return s
}

/** Names left in a tree that look like treesync's temporaries. */
async function temporariesIn(root: string): Promise<string[]> {
  return (await readdir(root, {recursive: true})).filter((path) => path.split('/').at(-1)!.startsWith('.treesync-'))
}

const stale = (planned: string, copied: Buffer) => `source file content changed since the plan was made (MD5 ${md5(copied)}, planned ${md5(planned)})`

for (const copyWorkers of [0, 1]) {
  test(`a source rewritten with the same size and mtime since the plan fails its copy, and the replica keeps its old content (${copyWorkers ? 'copy worker' : 'main thread'})`, async (t) => {
    const s = await scene(t)
    const plan = await planOnly(s.source, s.replica)
    await rewriteKeepingSizeAndMtime(join(s.source, 'a.txt'))
    await rewriteKeepingSizeAndMtime(join(s.source, 'd/c.txt'))
    assert.equal(await verifyPlan(plan), undefined, 'size and mtime checks cannot see such a change')

    const result = await applyPlan(plan, {copyWorkers})
    assert.equal(result.copyWorkers, copyWorkers)
    assert.deepEqual(
      [...result.failed].sort((x, y) => x.path.localeCompare(y.path)),
      [
        {op: 'update', path: 'a.txt', error: stale('new a', await readFile(join(s.source, 'a.txt')))},
        {op: 'create', path: 'd/c.txt', error: stale('new c', await readFile(join(s.source, 'd/c.txt')))},
      ],
    )
    assert.equal(await readFile(join(s.replica, 'a.txt'), 'utf8'), 'old a')
    await assert.rejects(lstat(join(s.replica, 'd/c.txt')), {code: 'ENOENT'}, 'a failed create leaves nothing')
    assert.equal(await readFile(join(s.replica, 'b.txt'), 'utf8'), 'new b', 'the other operations went on')
    assert.deepEqual(await temporariesIn(s.replica), [])
  })
}

const wrongCopies: Array<[string, NonNullable<ApplyOptions['copyFile']>, (planned: string) => string]> = [
  [
    'other bytes of the same size',
    async (src, dest) => {
      await copyFile(src, dest)
      await writeFile(dest, 'NEW A')
    },
    (planned) => stale(planned, Buffer.from('NEW A')),
  ],
  [
    'one byte more',
    async (src, dest) => {
      await copyFile(src, dest)
      await appendFile(dest, '!')
    },
    () => 'source file content changed since the plan was made (6 bytes copied, 5 planned)',
  ],
]
for (const [name, wrongCopy, error] of wrongCopies) {
  test(`an injected copy that writes ${name} is caught too: what is hashed is what would land`, async (t) => {
    const s = await scene(t)
    const result = await applyPlan(await planOnly(s.source, s.replica), {
      copyFile: (src, dest) => (src.endsWith('a.txt') ? wrongCopy(src, dest) : copyFile(src, dest)),
    })
    assert.deepEqual(result.failed, [{op: 'update', path: 'a.txt', error: error('new a')}])
    assert.equal(await readFile(join(s.replica, 'a.txt'), 'utf8'), 'old a')
    assert.equal(await readFile(join(s.replica, 'd/c.txt'), 'utf8'), 'new c')
    assert.deepEqual(await temporariesIn(s.replica), [])
  })
}

test('under --compare size-mtime a plan carries no MD5, so nothing is hashed and such a rewrite is copied', async (t) => {
  const s = await scene(t)
  const plan = await planOnly(s.source, s.replica, 'size-mtime')
  await rewriteKeepingSizeAndMtime(join(s.source, 'd/c.txt'))
  const result = await applyPlan(plan)
  assert.deepEqual(result.failed, [])
  assert.deepEqual(await readFile(join(s.replica, 'd/c.txt')), await readFile(join(s.source, 'd/c.txt')))
})

test('a file only others may read is still copied and checked by its unprivileged owner-to-be', async (t) => {
  // Its copy gets its mode, which denies the owner (the user running treesync) reading it back.
  const restoreModes = await letOthersReachTheCli()
  t.after(restoreModes)
  const ws = await workspace(t)
  const [source, replica] = [join(ws.dir, 'source'), join(ws.dir, 'replica')]
  await buildTree(replica, [])
  await ws.chownAll(NOBODY, NOBODY)
  await buildTree(source, [{path: 'others-only.txt', type: 'file', content: 'readable by others', mode: 0o004}])

  const applied = await ws.cli(['apply', source, replica, '--auto-approve'], {uid: NOBODY, gid: NOBODY})
  assert.equal(applied.code, 0, applied.stderr)
  assert.equal((await lstat(join(replica, 'others-only.txt'))).mode & 0o7777, 0o004)
  assert.equal(await readFile(join(replica, 'others-only.txt'), 'utf8'), 'readable by others')
})
