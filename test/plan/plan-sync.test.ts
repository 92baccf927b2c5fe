import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {CompareMode, Entry} from '../../src/index.js'
import {planSync, summarize} from '../../src/index.js'
import {CREATED_AT, T0, dir, file, link, project, replica, source} from './manifest-literals.js'

interface Row {
  name: string
  source: Entry[]
  replica: Entry[]
  compare?: CompareMode
  /** The plan's operations, in order; each lists the fields it asserts beyond op/from/path/type/reason/target. */
  expected: Record<string, unknown>[]
  /** Paths the plan warns about, in order. */
  warnings?: string[]
}

const NFC = '\u00e9'
const NFD = 'e\u0301'

const ROWS: Row[] = [
  {
    name: 'leaves an identical tree alone',
    source: [dir('d'), file('d/f'), link('l', 't')],
    replica: [dir('d'), file('d/f'), link('l', 't')],
    expected: [],
  },
  {
    name: 'creates a missing directory before the file in it',
    source: [dir('docs', {mode: 0o750}), file('docs/a.txt', {size: 12, md5: 'm1'})],
    replica: [],
    expected: [
      {op: 'mkdir', path: 'docs', reason: 'missing', mode: 0o750},
      {op: 'create', path: 'docs/a.txt', type: 'file', reason: 'missing', size: 12, md5: 'm1'},
    ],
  },
  {
    name: 'lists every entry under an extra directory: deletes, then rmdirs deepest first',
    source: [],
    replica: [dir('old'), file('old/a'), dir('old/sub'), file('old/sub/b'), link('old/sub/l', 'x'), file('top.log')],
    expected: [
      {op: 'delete', path: 'old/a', type: 'file', reason: 'extra'},
      {op: 'delete', path: 'old/sub/b', type: 'file', reason: 'extra'},
      {op: 'delete', path: 'old/sub/l', type: 'symlink', reason: 'extra'},
      {op: 'delete', path: 'top.log', type: 'file', reason: 'extra'},
      {op: 'rmdir', path: 'old/sub', reason: 'extra'},
      {op: 'rmdir', path: 'old', reason: 'extra'},
    ],
  },
  {
    name: 'updates a file whose size differs (reason size)',
    source: [file('f', {size: 9, md5: 'm2'})],
    replica: [file('f', {size: 5, md5: 'm1'})],
    expected: [{op: 'update', path: 'f', type: 'file', reason: 'size', size: 9, md5: 'm2'}],
  },
  {
    name: 'updates a same-size file whose MD5 differs (reason content)',
    source: [file('f', {md5: 'm2'})],
    replica: [file('f', {md5: 'm1'})],
    expected: [{op: 'update', path: 'f', type: 'file', reason: 'content', size: 5, md5: 'm2'}],
  },
  {
    name: 'fixes only the mtime of a file with equal content (reason mtime, no copy)',
    source: [file('f', {mtimeMs: T0 + 1000})],
    replica: [file('f')],
    expected: [{op: 'meta', path: 'f', type: 'file', reason: 'mtime', mtimeMs: T0 + 1000, mode: 0o644}],
  },
  {
    name: 'fixes only the mode of a file with equal content (reason mode, no copy)',
    source: [file('f', {mode: 0o600})],
    replica: [file('f')],
    expected: [{op: 'meta', path: 'f', type: 'file', reason: 'mode', mtimeMs: T0, mode: 0o600}],
  },
  {
    name: 'fixes directory metadata (mtime, then mode)',
    source: [dir('a', {mtimeMs: T0 + 5}), dir('b', {mode: 0o700})],
    replica: [dir('a'), dir('b')],
    expected: [
      {op: 'meta', path: 'a', type: 'dir', reason: 'mtime', mtimeMs: T0 + 5},
      {op: 'meta', path: 'b', type: 'dir', reason: 'mode', mode: 0o700},
    ],
  },
  {
    name: 'creates a missing symlink with its target',
    source: [link('l', '../target')],
    replica: [],
    expected: [{op: 'create', path: 'l', type: 'symlink', reason: 'missing', target: '../target'}],
  },
  {
    name: 'updates a symlink whose target differs (reason target)',
    source: [link('l', 'new')],
    replica: [link('l', 'old')],
    expected: [{op: 'update', path: 'l', type: 'symlink', reason: 'target', target: 'new'}],
  },
  {
    name: 'replaces a file by a directory: removal, then mkdir (reason type)',
    source: [dir('a'), file('a/x', {md5: 'm9'})],
    replica: [file('a')],
    expected: [
      {op: 'delete', path: 'a', type: 'file', reason: 'type'},
      {op: 'mkdir', path: 'a', reason: 'type'},
      {op: 'create', path: 'a/x', type: 'file', reason: 'missing'},
    ],
  },
  {
    name: 'replaces a directory by a file: its children are removed first',
    source: [file('a', {md5: 'm3'})],
    replica: [dir('a'), file('a/x', {md5: 'm1'}), dir('a/y'), file('a/y/z', {md5: 'm2'})],
    expected: [
      {op: 'delete', path: 'a/x', type: 'file', reason: 'extra'},
      {op: 'delete', path: 'a/y/z', type: 'file', reason: 'extra'},
      {op: 'rmdir', path: 'a/y', reason: 'extra'},
      {op: 'rmdir', path: 'a', reason: 'type'},
      {op: 'create', path: 'a', type: 'file', reason: 'type'},
    ],
  },
  {
    name: 'replaces a file by a symlink (reason type)',
    source: [link('a', 't')],
    replica: [file('a')],
    expected: [
      {op: 'delete', path: 'a', type: 'file', reason: 'type'},
      {op: 'create', path: 'a', type: 'symlink', reason: 'type', target: 't'},
    ],
  },
  {
    name: 'replaces a symlink by a directory (reason type)',
    source: [dir('a')],
    replica: [link('a', 't')],
    expected: [
      {op: 'delete', path: 'a', type: 'symlink', reason: 'type'},
      {op: 'mkdir', path: 'a', reason: 'type'},
    ],
  },
  {
    name: 'renames a replica-only file that has the same size and MD5 as a missing source file',
    source: [dir('new'), file('new/b.txt', {size: 7, md5: 'm7', mtimeMs: T0 + 1})],
    replica: [file('old.txt', {size: 7, md5: 'm7'})],
    expected: [
      {op: 'mkdir', path: 'new', reason: 'missing'},
      {op: 'rename', from: 'old.txt', path: 'new/b.txt', type: 'file', reason: 'moved', mtimeMs: T0 + 1},
    ],
  },
  {
    name: 'does not rename under --compare size-mtime',
    compare: 'size-mtime',
    source: [dir('new'), file('new/b.txt', {size: 7, md5: undefined})],
    replica: [file('old.txt', {size: 7, md5: undefined})],
    expected: [
      {op: 'mkdir', path: 'new', reason: 'missing'},
      {op: 'create', path: 'new/b.txt', type: 'file', reason: 'missing'},
      {op: 'delete', path: 'old.txt', type: 'file', reason: 'extra'},
    ],
  },
  {
    name: 'does not rename into a directory that replaces a vacated path',
    source: [dir('d'), file('d/f', {size: 7, md5: 'm7'})],
    replica: [link('d', 't'), file('x', {size: 7, md5: 'm7'})],
    expected: [
      {op: 'delete', path: 'd', type: 'symlink', reason: 'type'},
      {op: 'mkdir', path: 'd', reason: 'type'},
      {op: 'create', path: 'd/f', type: 'file', reason: 'missing'},
      {op: 'delete', path: 'x', type: 'file', reason: 'extra'},
    ],
  },
  {
    name: 'copies a file that replaces its own directory instead of renaming it out of that directory',
    source: [file('a', {size: 7, md5: 'm7'})],
    replica: [dir('a'), file('a/f', {size: 7, md5: 'm7'})],
    expected: [
      {op: 'delete', path: 'a/f', type: 'file', reason: 'extra'},
      {op: 'rmdir', path: 'a', reason: 'type'},
      {op: 'create', path: 'a', type: 'file', reason: 'type'},
    ],
  },
  {
    name: 'deletes nothing under an unreadable source directory, and warns',
    source: [dir('s', {unreadable: true})],
    replica: [dir('s'), file('s/a'), dir('s/b'), file('s/b/c')],
    expected: [],
    warnings: ['s'],
  },
  {
    name: 'leaves unreadable replica entries alone, and warns',
    source: [file('f', {size: 9, md5: 'm2'})],
    replica: [file('f', {unreadable: true}), file('u', {unreadable: true})],
    expected: [],
    warnings: ['f', 'u'],
  },
  {
    name: 'size-mtime: updates a same-size file whose mtime differs (reason mtime)',
    compare: 'size-mtime',
    source: [file('f', {md5: undefined, mtimeMs: T0 + 1})],
    replica: [file('f', {md5: undefined})],
    expected: [{op: 'update', path: 'f', type: 'file', reason: 'mtime', size: 5}],
  },
  {
    name: 'size-mtime: same size and mtime is equal even when the MD5s differ',
    compare: 'size-mtime',
    source: [file('f', {md5: 'm1'})],
    replica: [file('f', {md5: 'm2'})],
    expected: [],
  },
  {
    name: 'md5: a file hashed on neither side is never taken as equal',
    source: [file('f', {md5: undefined})],
    replica: [file('f', {md5: undefined})],
    expected: [{op: 'update', path: 'f', type: 'file', reason: 'content'}],
  },
  {
    name: 'md5: an unhashed replica file is never taken as equal to a hashed source file',
    source: [file('f', {md5: 'm1'})],
    replica: [file('f', {md5: undefined})],
    expected: [{op: 'update', path: 'f', type: 'file', reason: 'content', md5: 'm1'}],
  },
  {
    name: 'keeps NFC and NFD names distinct (no normalisation)',
    source: [file(NFC, {md5: 'm1'})],
    replica: [file(NFD, {md5: 'm2'})],
    expected: [
      {op: 'create', path: NFC, type: 'file', reason: 'missing'},
      {op: 'delete', path: NFD, type: 'file', reason: 'extra'},
    ],
  },
  {
    name: 'renames an NFD name to its NFC twin when the content is equal',
    source: [dir('d'), file(`d/${NFC}`)],
    replica: [dir('d'), file(`d/${NFD}`)],
    expected: [{op: 'rename', from: `d/${NFD}`, path: `d/${NFC}`, type: 'file', reason: 'moved'}],
  },
]

describe('planSync from manifest literals', () => {
  for (const row of ROWS) {
    test(row.name, () => {
      const plan = planSync(source(...row.source), replica(...row.replica), {compare: row.compare ?? 'md5', createdAt: CREATED_AT})
      const extra = (i: number): string[] => Object.keys(row.expected[i] ?? {})
      assert.deepEqual(
        plan.operations.map((op, i) => project(op, extra(i))),
        row.expected,
      )
      assert.deepEqual(
        plan.warnings.map((w) => w.path),
        row.warnings ?? [],
      )
    })
  }
})

describe('planSync beyond single operations', () => {
  const options = {compare: 'md5', createdAt: CREATED_AT} as const

  test('a metadata-only fix copies no data', () => {
    const plan = planSync(source(file('f', {mode: 0o600, mtimeMs: T0 + 1})), replica(file('f')), options)
    assert.deepEqual(plan.operations.map((op) => op.op), ['meta'])
    assert.equal(plan.summary.bytes, 0)
    assert.equal(plan.summary.update, 0)
  })

  test('summary counts each op and the bytes that create and update copy, not renames', () => {
    const plan = planSync(
      source(dir('d'), file('d/new', {size: 10, md5: 'n'}), file('u', {size: 20, md5: 'u2'}), file('moved', {size: 7, md5: 'r'}), file('m', {mode: 0o600})),
      replica(file('u', {size: 3, md5: 'u1'}), file('was', {size: 7, md5: 'r'}), file('m'), file('gone', {size: 100, md5: 'g'})),
      options,
    )
    assert.deepEqual(plan.summary, {create: 1, update: 1, delete: 1, mkdir: 1, rmdir: 0, meta: 1, rename: 1, bytes: 30})
    assert.deepEqual(plan.summary, summarize(plan.operations))
  })

  test('is deterministic: same input, deep-equal plan stamped with the given createdAt', () => {
    const src = source(dir('a'), file('a/x', {md5: 'm1'}), link('b', 't'), file(NFC, {mode: 0o600}))
    const rep = replica(file('a'), dir('b'), file('b/y', {md5: 'm1'}), file(NFD))
    const first = planSync(src, rep, options)
    const second = planSync(src, rep, options)
    assert.deepEqual(second, first)
    assert.equal(first.createdAt, CREATED_AT)
    assert.equal(first.source, '/src')
    assert.equal(first.replica, '/replica')
    assert.equal(first.compare, 'md5')
  })

  test('carries scanner warnings of both sides into the plan', () => {
    const src = {...source(), warnings: [{path: 'fifo', message: 'skipped a FIFO'}]}
    const rep = {...replica(), warnings: [{path: 'sock', message: 'skipped a socket'}]}
    const plan = planSync(src, rep, options)
    assert.deepEqual(plan.warnings.map((w) => w.path), ['fifo', 'sock'])
    assert.match(plan.warnings[0]!.message, /source/)
    assert.match(plan.warnings[1]!.message, /replica/)
  })

  test('never removes an extra directory that still holds an unreadable replica entry', () => {
    const plan = planSync(source(file('keep')), replica(file('keep'), dir('old'), file('old/k'), dir('old/u', {unreadable: true})), options)
    assert.deepEqual(plan.operations.map((op) => project(op)), [{op: 'delete', path: 'old/k', type: 'file', reason: 'extra'}])
    assert.ok(plan.warnings.some((w) => w.path === 'old/u'))
  })

  test('never replaces a directory that still holds an unreadable replica entry', () => {
    const plan = planSync(source(file('a')), replica(dir('a'), file('a/u', {unreadable: true})), options)
    assert.deepEqual(plan.operations, [])
    assert.ok(plan.warnings.some((w) => w.path === 'a/u'))
  })
})
