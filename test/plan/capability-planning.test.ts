import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {FULL_CAPABILITIES, type Capabilities} from '../../src/backend/capabilities.js'
import type {CompareMode, Entry} from '../../src/index.js'
import {planSync} from '../../src/index.js'
import {comparisonFor, entriesMatch} from '../../src/plan/equality.js'
import {CREATED_AT, T0, dir, file, link, project, replica, source} from './manifest-literals.js'

const SECOND = 1e9
const ONE_SECOND: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: SECOND}
const FAT: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: 2 * SECOND, modes: false, symlinks: false, caseSensitive: false}
const S3_LIKE: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: 1e6, modes: false, symlinks: false, cheapMove: false}

interface Row {
  name: string
  source: Entry[]
  replica: Entry[]
  /** The replica's capabilities (the source's are full unless `sourceCapabilities`). */
  capabilities: Capabilities
  sourceCapabilities?: Capabilities
  compare?: CompareMode
  modifyWindowSeconds?: number
  expected: Record<string, unknown>[]
  warnings?: string[]
}

const ROWS: Row[] = [
  {
    name: 'a 1-second replica keeps 12.7 s as 12 s: equal, under md5',
    source: [dir('d', {mtimeMs: T0 + 700}), file('d/f', {mtimeMs: T0 + 999})],
    replica: [dir('d'), file('d/f')],
    capabilities: ONE_SECOND,
    expected: [],
  },
  {
    name: 'a 1-second replica: equal under size-mtime too, so nothing is re-copied',
    source: [file('f', {mtimeMs: T0 + 400, md5: undefined})],
    replica: [file('f', {md5: undefined})],
    capabilities: ONE_SECOND,
    compare: 'size-mtime',
    expected: [],
  },
  {
    name: 'a 1-second replica still sees a change of a second or more',
    source: [file('f', {mtimeMs: T0 + 1000})],
    replica: [file('f')],
    capabilities: ONE_SECOND,
    expected: [{op: 'meta', path: 'f', type: 'file', reason: 'mtime'}],
  },
  {
    name: 'the coarser root decides: a 1-second source against a full replica',
    source: [file('f', {mtimeMs: T0})],
    replica: [file('f', {mtimeMs: T0 + 999})],
    capabilities: FULL_CAPABILITIES,
    sourceCapabilities: ONE_SECOND,
    expected: [],
  },
  {
    name: 'FAT keeps mtimes to 2 s',
    source: [file('f', {mtimeMs: T0 + 1999})],
    replica: [file('f')],
    capabilities: FAT,
    expected: [],
  },
  {
    name: '--modify-window overrides the precision, both ways',
    source: [file('wide', {mtimeMs: T0 + 2500}), file('exact', {mtimeMs: T0 + 1})],
    replica: [file('wide'), file('exact')],
    capabilities: FULL_CAPABILITIES,
    modifyWindowSeconds: 3,
    expected: [],
  },
  {
    name: '--modify-window 0 on a 1-second replica compares to the millisecond',
    source: [file('f', {mtimeMs: T0 + 1})],
    replica: [file('f')],
    capabilities: ONE_SECOND,
    modifyWindowSeconds: 0,
    expected: [{op: 'meta', path: 'f', type: 'file', reason: 'mtime'}],
  },
  {
    name: 'modes are not compared when the replica keeps none',
    source: [dir('d', {mode: 0o700}), file('d/f', {mode: 0o600})],
    replica: [dir('d'), file('d/f', {mode: 0o755})],
    capabilities: FAT,
    expected: [],
  },
  {
    name: 'modes are not compared when the source keeps none',
    source: [file('f', {mode: 0o755})],
    replica: [file('f', {mode: 0o640})],
    capabilities: FULL_CAPABILITIES,
    sourceCapabilities: FAT,
    expected: [],
  },
  {
    name: 'a symlink the replica cannot hold is a warning, and the replica entry at its path is left alone',
    source: [link('l', 'target'), link('m', 'other'), file('f')],
    replica: [file('m', {md5: 'a copy made by someone else'})],
    capabilities: FAT,
    expected: [{op: 'create', path: 'f', type: 'file', reason: 'missing'}],
    warnings: ['l', 'm'],
  },
  {
    name: 'a case-insensitive replica matches names regardless of case',
    source: [dir('Docs'), file('Docs/Read Me.txt'), file('Docs/new')],
    replica: [dir('docs'), file('docs/READ ME.TXT'), file('docs/old', {size: 9, md5: 'old'})],
    capabilities: FAT,
    expected: [
      {op: 'create', path: 'Docs/new', type: 'file', reason: 'missing'},
      {op: 'delete', path: 'Docs/old', type: 'file', reason: 'extra'},
    ],
  },
  {
    name: 'two source names that differ only by case: the second is a warning, with its subtree',
    source: [dir('A'), file('A/x'), dir('a'), file('a/y'), file('b')],
    replica: [],
    capabilities: FAT,
    expected: [
      {op: 'mkdir', path: 'A', reason: 'missing'},
      {op: 'create', path: 'A/x', type: 'file', reason: 'missing'},
      {op: 'create', path: 'b', type: 'file', reason: 'missing'},
    ],
    warnings: ['a'],
  },
  {
    name: 'names differing by case are two entries on a case-sensitive replica',
    source: [file('A'), file('a')],
    replica: [file('a')],
    capabilities: FULL_CAPABILITIES,
    expected: [{op: 'create', path: 'A', type: 'file', reason: 'missing'}],
  },
  {
    name: 'no rename where a move is not cheap (S3 copies, then deletes)',
    source: [file('new', {size: 7, md5: 'r'})],
    replica: [file('old', {size: 7, md5: 'r'})],
    capabilities: S3_LIKE,
    expected: [
      {op: 'create', path: 'new', type: 'file', reason: 'missing'},
      {op: 'delete', path: 'old', type: 'file', reason: 'extra'},
    ],
  },
  {
    name: 'a rename where a move is cheap',
    source: [file('new', {size: 7, md5: 'r'})],
    replica: [file('old', {size: 7, md5: 'r'})],
    capabilities: FULL_CAPABILITIES,
    expected: [{op: 'rename', from: 'old', path: 'new', type: 'file', reason: 'moved'}],
  },
]

describe('planSync with the roots capabilities', () => {
  for (const row of ROWS) {
    test(row.name, () => {
      const capabilities = {source: row.sourceCapabilities ?? FULL_CAPABILITIES, replica: row.capabilities}
      const plan = planSync(source(...row.source), replica(...row.replica), {
        compare: row.compare ?? 'md5',
        createdAt: CREATED_AT,
        capabilities,
        modifyWindowSeconds: row.modifyWindowSeconds,
      })
      assert.deepEqual(plan.operations.map((op) => project(op)), row.expected)
      assert.deepEqual(plan.warnings.map((w) => w.path), row.warnings ?? [])
      assert.deepEqual(plan.capabilities, capabilities)
    })
  }
})

describe('comparisonFor', () => {
  const both = (replicaCaps: Capabilities, sourceCaps: Capabilities = FULL_CAPABILITIES) => ({source: sourceCaps, replica: replicaCaps})
  const table: [string, ReturnType<typeof comparisonFor>, number, boolean][] = [
    ['nanoseconds on both sides', comparisonFor('md5'), 0, true],
    ['1 µs', comparisonFor('md5', both({...FULL_CAPABILITIES, mtimePrecisionNs: 1000})), 0, true],
    ['exFAT, 10 ms', comparisonFor('md5', both({...FULL_CAPABILITIES, mtimePrecisionNs: 1e7})), 9, true],
    ['1 s', comparisonFor('md5', both(ONE_SECOND)), 999, true],
    ['FAT, 2 s, no modes', comparisonFor('md5', both(FAT)), 1999, false],
    ['--modify-window 1 on full roots', comparisonFor('md5', both(FULL_CAPABILITIES), 1), 1000, true],
    ['--modify-window 0.5', comparisonFor('md5', both(FAT), 0.5), 500, false],
  ]
  for (const [name, comparison, windowMs, modes] of table) {
    test(name, () => {
      assert.equal(comparison.mtimeWindowMs, windowMs)
      assert.equal(comparison.modes, modes)
    })
  }

  test('entriesMatch agrees with the planner: a pair it calls equal plans nothing', () => {
    const comparison = comparisonFor('md5', both(ONE_SECOND))
    const pairs: [Entry, Entry][] = [
      [file('f', {mtimeMs: T0 + 500}), file('f')],
      [file('f', {mtimeMs: T0 + 1500}), file('f')],
      [file('f', {md5: 'x'}), file('f')],
      [file('f', {mode: 0o600}), file('f')],
      [link('f', 'a'), link('f', 'b')],
      [dir('f', {mtimeMs: T0 + 10}), dir('f')],
    ]
    for (const [src, rep] of pairs) {
      const plan = planSync(source(src), replica(rep), {compare: 'md5', createdAt: CREATED_AT, capabilities: both(ONE_SECOND)})
      assert.equal(entriesMatch(src, rep, comparison), plan.operations.length === 0, `${src.path}: ${JSON.stringify([src, rep])}`)
    }
  })
})
