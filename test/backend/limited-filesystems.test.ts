import assert from 'node:assert/strict'
import {lstat, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test, type TestContext} from 'node:test'

import {cliTrees, lastLine} from '../cli/support.js'
import {imageForSuite, type ImageKind, type MountedImage} from '../helpers/filesystem-images.js'
import type {EntrySpec} from '../helpers/tree-builder.js'

// Sub-second mtimes that a whole-second or 2-second filesystem truncates, odd seconds
// (FAT keeps even ones), modes FAT cannot keep.
const T = 1_704_164_645_678
const TREE: EntrySpec[] = [
  {path: 'docs', type: 'dir', mode: 0o750, mtimeMs: T + 1},
  {path: 'docs/Guide.md', type: 'file', content: '# guide\n', mtimeMs: T + 1_321},
  {path: 'docs/notes.txt', type: 'file', content: 'notes', mode: 0o600, mtimeMs: T + 999},
  {path: 'photos/2024/img-001.jpg', type: 'file', content: Buffer.alloc(70_000, 7), mtimeMs: T - 3_001},
  {path: 'empty', type: 'dir', mtimeMs: T + 1_500},
  {path: 'run.sh', type: 'file', content: '#!/bin/sh\n', mode: 0o755, mtimeMs: T + 1_999},
]
const FILES = TREE.filter((e) => e.type === 'file').map((e) => e.path)

interface Case {
  kind: ImageKind
  /** The line the plan opens with, naming what the replica does not keep. */
  limits: RegExp
  /** Extra source entries the replica cannot hold, each a plan warning (not an error, not an operation). */
  unheld: EntrySpec[]
}

const CASES: Case[] = [
  {kind: 'ext4-128', limits: /^Replica .* keeps: mtimes to 1 s\.$/m, unheld: []},
  {
    kind: 'fat',
    limits: /^Replica .* keeps: mtimes to 2 s, no permission bits, no symbolic links, names ignore case\.$/m,
    unheld: [
      // Sorted after docs/Guide.md ('G' < 'g'), so that one takes the name.
      {path: 'docs/guide.md', type: 'file', content: 'the same name on FAT'},
      {path: 'latest', type: 'symlink', target: 'docs/Guide.md'},
    ],
  },
]

/** Inode, size and mtime of each replica file: a later apply that rewrites one changes them. */
async function identities(rep: string): Promise<string[]> {
  return Promise.all(FILES.map(async (f) => {
    const st = await lstat(join(rep, f), {bigint: true})
    return `${f} ${st.ino} ${st.size} ${st.mtimeNs}`
  }))
}

async function syncInto(t: TestContext, image: MountedImage, c: Case, name: string) {
  const {ws, src} = await cliTrees(t, [...TREE, ...c.unheld])
  const rep = join(image.mountPoint, name)
  const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
  return {ws, src, rep, applied}
}

for (const c of CASES) {
  describe(`a replica on ${c.kind}`, () => {
    const image = imageForSuite(c.kind)

    test('converges: the data is exact, the next plan is "No changes." and a third apply rewrites nothing', async (t) => {
      const {ws, src, rep, applied} = await syncInto(t, image(), c, 'md5')
      assert.equal(applied.code, 0, applied.stderr)
      for (const f of FILES) assert.deepEqual(await readFile(join(rep, f)), await readFile(join(src, f)), f)

      const second = await ws.cli(['plan', src, rep, '--detailed-exitcode'])
      assert.equal(second.code, 0, second.stdout + second.stderr)
      assert.match(second.stdout, c.limits)
      assert.match(lastLine(second.stdout), /^No changes\./)
      // What the replica cannot hold is said once per plan, as a warning.
      const warned = second.stderr.split('\n').filter((l) => l.startsWith('warning:'))
      assert.deepEqual(warned.map((l) => l.split(': ')[1]), c.unheld.map((e) => e.path))

      const before = await identities(rep)
      const third = await ws.cli(['apply', src, rep, '--auto-approve'])
      assert.equal(third.code, 0, third.stderr)
      assert.match(third.stdout, /No changes\./)
      assert.deepEqual(await identities(rep), before)
    })

    test('converges under --compare size-mtime too: nothing is re-copied on the next run', async (t) => {
      const {ws, src, rep, applied} = await syncInto(t, image(), c, 'size-mtime')
      assert.equal(applied.code, 0, applied.stderr)
      const again = await ws.cli(['plan', src, rep, '--compare', 'size-mtime', '--detailed-exitcode'])
      assert.equal(again.code, 0, again.stdout + again.stderr)
      assert.match(lastLine(again.stdout), /^No changes\./)
    })

    test('--modify-window 0 compares to the millisecond: every truncated mtime is a metadata fix', async (t) => {
      const {ws, src, rep, applied} = await syncInto(t, image(), c, 'window')
      assert.equal(applied.code, 0, applied.stderr)
      const exact = await ws.cli(['plan', src, rep, '--modify-window', '0', '--detailed-exitcode'])
      assert.equal(exact.code, 2, exact.stdout + exact.stderr)
      assert.match(exact.stdout, /~ docs\/notes\.txt \(mtime\)/)
      assert.doesNotMatch(exact.stdout, /\((size|content)/)
    })
  })
}
