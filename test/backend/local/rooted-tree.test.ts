import assert from 'node:assert/strict'
import {join} from 'node:path'
import {test} from 'node:test'

import {promiseIo, syncIo} from '../../../src/backend/local/file-io.js'
import {RootedTree} from '../../../src/backend/local/rooted-tree.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {buildTree} from '../../helpers/tree-builder.js'

// Both ways of checking: one realpath (fs/promises), and lstat per directory (worker threads).
const IOS = [
  ['one realpath', promiseIo()],
  ['an lstat per directory', syncIo],
] as const

for (const [how, io] of IOS) {
  test(`assertDirectoryContained (${how}) passes real directories and refuses one that is, or lies behind, a symlink`, async (t) => {
    const dir = await tempDir(t)
    const root = join(dir, 'tree')
    await buildTree(join(dir, 'outside'), [{path: 'b', type: 'dir'}])
    await buildTree(root, [
      {path: 'a/b', type: 'dir'},
      {path: 'a/out', type: 'symlink', target: join(dir, 'outside')},
      {path: 'inner-link', type: 'symlink', target: 'a'},
    ])
    const tree = new RootedTree(root, io)

    for (const real of ['', 'a', 'a/b']) await assert.doesNotReject(tree.assertDirectoryContained(real), real)
    const refusals: Array<[string, string]> = [
      ['a/out', 'a/out'],
      ['a/out/b', 'a/out'],
      ['inner-link', 'inner-link'],
      ['inner-link/b', 'inner-link'],
    ]
    for (const [symlinked, culprit] of refusals) {
      await assert.rejects(tree.assertDirectoryContained(symlinked), {
        code: 'BAD_INPUT',
        path: culprit,
        message: `${culprit} is a symlink: refusing to follow it out of ${root}`,
      }, symlinked)
    }
  })
}
