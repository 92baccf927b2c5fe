import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {Operation, Plan, ReplicaState} from '../../src/index.js'
import {createStyle, renderOperation, renderPlan, summarize} from '../../src/index.js'
import {FULL_CAPABILITIES} from '../../src/backend/capabilities.js'
import {formatPrecision} from '../../src/render/capabilities-text.js'

const T0 = 1_704_164_645_678
const PLAIN = createStyle(false)
const COLOUR = createStyle(true)
const OLD_FILE: ReplicaState = {type: 'file', size: 3, mtimeMs: T0, mode: 0o644, md5: 'old'}
const FILE = {mode: 0o644, mtimeMs: T0}
// eslint-disable-next-line no-control-regex
const ESC = /\u001b/
const ANSI = new RegExp(`${ESC.source}\\[[0-9;]*m`)
const strip = (text: string): string => text.replace(new RegExp(ANSI.source, 'g'), '')

/** A plan literal around operations, with its summary computed as the planner would. */
function planOf(operations: Operation[]): Plan {
  return {
    format: 'treesync-plan',
    version: 2,
    source: '/data/src',
    replica: '/data/replica',
    createdAt: '2026-11-24T10:15:02.123Z',
    compare: 'md5',
    entries: {source: 0, replica: 0},
    operations,
    summary: summarize(operations),
    warnings: [],
  }
}

/** One operation of each kind and shape, with the line it renders to without colour. */
const LINES: [Operation, string][] = [
  [{op: 'mkdir', path: 'docs', reason: 'missing', ...FILE, mode: 0o755}, '+ docs/ (missing)'],
  [{op: 'create', path: 'docs/a.txt', type: 'file', size: 12, md5: 'm1', reason: 'missing', ...FILE}, '+ docs/a.txt (missing, 12 B)'],
  [{op: 'create', path: 'latest', type: 'symlink', target: 'docs/a.txt', reason: 'missing'}, '+ latest -> docs/a.txt (missing)'],
  [{op: 'update', path: 'b.bin', type: 'file', size: 40, md5: 'm2', reason: 'content', ...FILE, replica: OLD_FILE}, '~ b.bin (content, 40 B)'],
  [{op: 'update', path: 'ln', type: 'symlink', target: 'new', reason: 'target', replica: {type: 'symlink', target: 'old'}}, '~ ln -> new (target)'],
  [{op: 'meta', path: 'c.txt', type: 'file', reason: 'mtime', ...FILE, replica: OLD_FILE}, '~ c.txt (mtime)'],
  [{op: 'meta', path: 'pics', type: 'dir', reason: 'mode', ...FILE, replica: {type: 'dir', mode: 0o700, mtimeMs: T0}}, '~ pics/ (mode)'],
  [{op: 'rename', from: 'old/name.txt', path: 'new/name.txt', type: 'file', reason: 'moved', size: 3, md5: 'old', ...FILE, replica: OLD_FILE}, '> old/name.txt -> new/name.txt (moved)'],
  [{op: 'delete', path: 'stale.log', type: 'file', reason: 'extra', replica: OLD_FILE}, '- stale.log (extra)'],
  [{op: 'rmdir', path: 'old', reason: 'extra', replica: {type: 'dir', mode: 0o755, mtimeMs: T0}}, '- old/ (extra)'],
]

describe('renderOperation', () => {
  for (const [op, line] of LINES) {
    test(`renders ${op.op} ${op.path} as "${line}"`, () => {
      assert.equal(renderOperation(op, PLAIN), line)
    })
  }

  test('quotes a path holding a newline, so one operation stays one line', () => {
    const line = renderOperation({op: 'create', path: 'a\nb', type: 'file', size: 1, reason: 'missing', ...FILE}, PLAIN)
    assert.equal(line, '+ "a\\nb" (missing, 1 B)')
  })

  test('quotes the source of a rename and the target of a symlink when they need escaping', () => {
    const rename: Operation = {op: 'rename', from: 'tab\there', path: 'ok', type: 'file', reason: 'moved', size: 3, md5: 'm', ...FILE, replica: OLD_FILE}
    const symlink: Operation = {op: 'create', path: 'l', type: 'symlink', target: 'x\ny', reason: 'missing'}
    assert.equal(renderOperation(rename, PLAIN), '> "tab\\there" -> ok (moved)')
    assert.equal(renderOperation(symlink, PLAIN), '+ l -> "x\\ny" (missing)')
  })

  test('paints the sigil and path only with a colour style', () => {
    const [op, line] = LINES[1]!
    const painted = renderOperation(op, COLOUR)
    assert.ok(painted.startsWith('\u001b[32m+ docs/a.txt'), JSON.stringify(painted))
    assert.equal(strip(painted), line)
    assert.doesNotMatch(renderOperation(op, PLAIN), ANSI)
  })
})

describe('renderPlan', () => {
  const plan = planOf(LINES.map(([op]) => op))

  test('prints one line per operation, then ends with the Plan: line', () => {
    const text = renderPlan(plan, PLAIN)
    const lines = text.trimEnd().split('\n')
    for (const [, line] of LINES) assert.equal(lines.filter((l) => l === `  ${line}`).length, 1, `missing "${line}"`)
    assert.equal(lines.filter((l) => /^ {2}[+~>-] /.test(l)).length, LINES.length)
    assert.equal(lines.at(-1), 'Plan: 3 to create, 2 to update, 2 to fix metadata, 1 to rename, 2 to delete (52 B to copy).')
  })

  test('shows the summary counts in a table above the Plan: line', () => {
    const lines = renderPlan(plan, PLAIN).split('\n')
    const head = lines.findIndex((l) => l.includes('create') && l.includes('to copy'))
    assert.notEqual(head, -1)
    assert.deepEqual(lines[head + 2]!.split(/[│|]/).map((c) => c.trim()).filter(Boolean), ['2', '2', '2', '1', '1', '1', '1', '52 B'])
  })

  test('says "No changes." and nothing more for an empty plan', () => {
    const text = renderPlan(planOf([]), PLAIN)
    assert.ok(text.startsWith('No changes.'), text)
    assert.equal(text.trimEnd().split('\n').length, 1)
    assert.doesNotMatch(text, /Plan:/)
  })

  test('keeps one line per operation when names hold newlines or escape sequences', () => {
    const ops: Operation[] = [
      {op: 'create', path: 'two\nlines', type: 'file', size: 1, reason: 'missing', ...FILE},
      {op: 'delete', path: 'evil\u001b[2J', type: 'file', reason: 'extra', replica: OLD_FILE},
    ]
    const text = renderPlan(planOf(ops), PLAIN)
    assert.equal(text.split('\n').filter((l) => /^ {2}[+~>-] /.test(l)).length, 2)
    assert.ok(text.includes('"two\\nlines"'))
    assert.ok(text.includes('"evil\\u001b[2J"'))
    assert.doesNotMatch(text, ESC)
  })

  test('uses colour codes only with createStyle(true)', () => {
    assert.doesNotMatch(renderPlan(plan, PLAIN), ESC)
    assert.doesNotMatch(renderPlan(planOf([]), PLAIN), ESC)
    const coloured = renderPlan(plan, COLOUR)
    assert.match(coloured, ANSI)
    assert.equal(strip(coloured), renderPlan(plan, PLAIN))
  })
})

describe('a plan names the limits of its roots at the top', () => {
  const FAT = {...FULL_CAPABILITIES, mtimePrecisionNs: 2e9, modes: false, symlinks: false, caseSensitive: false}
  const create: Operation = {op: 'create', path: 'a', type: 'file', size: 1, reason: 'missing', ...FILE}

  test('a FAT replica: mtimes to 2 s, no modes, no symlinks, names ignore case; a full source says nothing', () => {
    const text = renderPlan({...planOf([create]), capabilities: {source: FULL_CAPABILITIES, replica: FAT}}, PLAIN)
    assert.equal(
      text.split('\n')[0],
      'Replica /data/replica keeps: mtimes to 2 s, no permission bits, no symbolic links, names ignore case.',
    )
    assert.match(text.split('\n')[1]!, /^treesync will mirror/)
  })

  test('also above "No changes.", and for a limited source', () => {
    const oneSecond = {...FULL_CAPABILITIES, mtimePrecisionNs: 1e9}
    const text = renderPlan({...planOf([]), capabilities: {source: oneSecond, replica: FULL_CAPABILITIES}}, PLAIN)
    assert.equal(text, 'Source /data/src keeps: mtimes to 1 s.\nNo changes. The replica /data/replica already mirrors /data/src.\n')
  })

  test('full roots, or a version 1 plan without capabilities: no such line', () => {
    assert.match(renderPlan({...planOf([create]), capabilities: {source: FULL_CAPABILITIES, replica: FULL_CAPABILITIES}}, PLAIN), /^treesync will mirror/)
    assert.match(renderPlan(planOf([create]), PLAIN), /^treesync will mirror/)
  })

  test('precisions read as people say them', () => {
    assert.deepEqual([1, 1000, 1e6, 1e7, 1e8, 1e9, 2e9].map(formatPrecision), ['1 ns', '1 µs', '1 ms', '10 ms', '100 ms', '1 s', '2 s'])
  })
})
