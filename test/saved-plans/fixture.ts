import {join} from 'node:path'
import type {TestContext} from 'node:test'

import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'

/** A source and replica that need every kind of operation, plus a sentinel folder outside both. */
export async function savedPlanScene(t: TestContext) {
  const root = await tempDir(t)
  const scene = {
    root,
    source: join(root, 'source'),
    replica: join(root, 'replica'),
    sentinel: join(root, 'sentinel'),
    planFile: join(root, 'plan.json'),
  }
  await buildTree(scene.source, [
    {path: 'notes.txt', type: 'file', content: 'line one\nline two\nline three\n'},
    {path: 'docs/guide.md', type: 'file', content: '# guide\n'},
    {path: 'moved/cat.bin', type: 'file', content: 'meow meow meow'},
    {path: 'same.txt', type: 'file', content: 'same', mtimeMs: 1_700_000_000_000},
  ])
  await buildTree(scene.replica, [
    {path: 'notes.txt', type: 'file', content: 'line one\nline 2\nline three\n'},
    {path: 'old/cat.bin', type: 'file', content: 'meow meow meow'},
    {path: 'same.txt', type: 'file', content: 'same'},
    {path: 'stale/junk.log', type: 'file', content: 'junk'},
  ])
  await buildTree(scene.sentinel, [{path: 'victim.txt', type: 'file', content: 'must survive'}])
  return scene
}
