import assert from 'node:assert/strict'
import {test} from 'node:test'

import {ABSENT, type BackendEntry, type ExpectedEntry, type ExpectedState} from '../../src/backend/backend.js'
import {assertExpected, entryDrift, mtimeMsOf, sourceDrift} from '../../src/backend/preconditions.js'

const MS = 1_704_164_645_678
const ns = (ms: number, extra = 0n): bigint => BigInt(ms) * 1_000_000n + extra

function entry(type: BackendEntry['type'], more: Partial<BackendEntry> = {}): BackendEntry {
  return {type, size: 5, mtimeNs: ns(MS, 123_456n), mode: 0o644, changeToken: 't', ...more}
}

test('mtimeMsOf truncates nanoseconds to the whole milliseconds plans record', () => {
  assert.equal(mtimeMsOf({mtimeNs: ns(MS, 999_999n)}), MS)
  assert.equal(mtimeMsOf({mtimeNs: 0n}), 0)
})

const FILE: ExpectedEntry = {type: 'file', size: 5, mtimeMs: MS}
const LINK: ExpectedEntry = {type: 'symlink', target: 'a'}

test('entryDrift: what differs between an entry found and the one expected', () => {
  const cases: Array<[string, BackendEntry | undefined, ExpectedEntry, string | undefined]> = [
    ['the same file', entry('file'), FILE, undefined],
    ['sub-millisecond mtime differences do not count', entry('file', {mtimeNs: ns(MS)}), FILE, undefined],
    ['a mode change does not count (meta operations fix it)', entry('file', {mode: 0o600}), FILE, undefined],
    ['vanished', undefined, FILE, 'it no longer exists'],
    ['size', entry('file', {size: 6}), FILE, 'its size changed'],
    ['mtime', entry('file', {mtimeNs: ns(MS + 1)}), FILE, 'its mtime changed'],
    ['type', entry('dir'), FILE, 'it is now a dir, planned as a file'],
    ['a FIFO', entry('other'), FILE, 'it is now a other, planned as a file'],
    ['fields not recorded are not compared', entry('file', {size: 9, mtimeNs: 0n}), {type: 'file'}, undefined],
    ['a directory: its type only', entry('dir', {size: 4096, mtimeNs: 0n}), {type: 'dir'}, undefined],
    ['the same symlink', entry('symlink', {target: 'a'}), LINK, undefined],
    ['a symlink target', entry('symlink', {target: 'b'}), LINK, 'its target changed'],
    ['a symlink whose target was not read', entry('symlink'), LINK, undefined],
  ]
  for (const [name, found, expected, drift] of cases) assert.equal(entryDrift(found, expected), drift, name)
})

test('assertExpected: PLAN_STALE naming the path, for an entry changed or one that appeared', () => {
  const cases: Array<[BackendEntry | undefined, ExpectedState, string | undefined]> = [
    [undefined, ABSENT, undefined],
    [entry('file'), ABSENT, 'replica entry appeared since the plan was made'],
    [entry('file'), FILE, undefined],
    [entry('file', {size: 1}), FILE, 'replica entry changed since the plan was made: its size changed'],
    [undefined, FILE, 'replica entry changed since the plan was made: it no longer exists'],
  ]
  for (const [found, expected, message] of cases) {
    if (message === undefined) assert.doesNotThrow(() => assertExpected('a/b', found, expected))
    else assert.throws(() => assertExpected('a/b', found, expected), {code: 'PLAN_STALE', path: 'a/b', message})
  }
})

test('sourceDrift: a source file must still be a file of the planned size and mtime', () => {
  const cases: Array<[string, BackendEntry | undefined, {size?: number; mtimeMs: number}, string | undefined]> = [
    ['as planned', entry('file'), {size: 5, mtimeMs: MS}, undefined],
    ['no size recorded (a meta operation)', entry('file', {size: 7}), {mtimeMs: MS}, undefined],
    ['vanished', undefined, {size: 5, mtimeMs: MS}, 'it no longer exists'],
    ['now a symlink', entry('symlink'), {size: 5, mtimeMs: MS}, 'it is now a symlink'],
    ['size', entry('file', {size: 4}), {size: 5, mtimeMs: MS}, 'its size changed'],
    ['mtime', entry('file'), {size: 5, mtimeMs: MS - 1}, 'its mtime changed'],
  ]
  for (const [name, found, expected, drift] of cases) assert.equal(sourceDrift(found, expected), drift, name)
})
