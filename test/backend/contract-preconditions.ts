import assert from 'node:assert/strict'
import {test} from 'node:test'

import {ABSENT, type ExpectedEntry, type ExpectedState} from '../../src/backend/backend.js'
import {copyOf, expectedOf, openSubject, seed, snapshot, type BackendFactory, type Subject} from './contract-support.js'

/** A change under test: made at `path`, expecting `expected` there. */
type Change = (s: Subject, path: string, expected: ExpectedState) => Promise<void>

const CHANGES: Record<string, Change> = {
  writeFile: (s, path, expected) => {
    const {from, attributes} = copyOf(s, path, 'new data')
    return s.backend.writeFile(path, from, attributes, expected)
  },
  remove: (s, path, expected) => s.backend.remove(path, expected as ExpectedEntry),
  move: (s, path, expected) => s.backend.move(path, 'moved', expected as ExpectedEntry),
  setMetadata: (s, path, expected) => s.backend.setMetadata(path, {mtimeMs: 1_710_000_000_000}, expected as ExpectedEntry),
  symlink: (s, path, expected) => s.backend.symlink(path, 'target', expected),
}

/** How the entry found differs from the one expected: the plan's view, made stale. */
const DRIFTS: Array<[string, (planned: ExpectedEntry) => ExpectedEntry, string?]> = [
  ['its size changed', (planned) => ({...planned, size: planned.size! + 1})],
  ['its mtime changed', (planned) => ({...planned, mtimeMs: planned.mtimeMs! + 10_000})],
  ['it is now a file, planned as a dir', () => ({type: 'dir'})],
  ['it is now a file, planned as a symlink', () => ({type: 'symlink', target: 'f'})],
  ['it vanished', (planned) => planned, 'missing'],
]

/** Preconditions: every change refuses an entry that is not the one it expects, and changes nothing. */
export function preconditionContract(open: BackendFactory): void {
  for (const [name, change] of Object.entries(CHANGES)) {
    test(`${name} refuses an entry that changed since it was planned, and changes nothing`, async (t) => {
      const s = await openSubject(t, open)
      if (name === 'symlink' && !s.backend.capabilities.symlinks) return t.skip('no symlinks on this backend')
      await seed(s, {'f': 'planned data'})
      const planned = await expectedOf(s.backend, 'f')
      const before = await snapshot(s.backend)
      for (const [drift, stale, path = 'f'] of DRIFTS) {
        await assert.rejects(change(s, path, stale(planned)), {code: 'PLAN_STALE', path}, drift)
      }
      if (name !== 'remove' && name !== 'setMetadata') {
        await assert.rejects(change(s, 'f', ABSENT), {code: 'PLAN_STALE', path: 'f'}, 'it appeared')
      }
      assert.deepEqual(await snapshot(s.backend), before)
    })
  }

  test('mkdir and move refuse a path that was taken since it was planned', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'f': 'x', 'g': 'y'})
    const before = await snapshot(s.backend)
    await assert.rejects(s.backend.mkdir('f'), {code: 'PLAN_STALE', path: 'f'})
    await assert.rejects(s.backend.move('g', 'f', await expectedOf(s.backend, 'g')), {code: 'PLAN_STALE', path: 'f'})
    assert.deepEqual(await snapshot(s.backend), before)
  })

  test('a symlink whose target changed is not replaced or removed (where the backend keeps symlinks)', async (t) => {
    const s = await openSubject(t, open)
    if (!s.backend.capabilities.symlinks) return t.skip('no symlinks on this backend')
    await s.backend.symlink('l', 'now', ABSENT)
    const before = await snapshot(s.backend)
    const planned: ExpectedEntry = {type: 'symlink', target: 'then'}
    await assert.rejects(s.backend.symlink('l', 'new', planned), {code: 'PLAN_STALE', path: 'l'})
    await assert.rejects(s.backend.remove('l', planned), {code: 'PLAN_STALE', path: 'l'})
    assert.deepEqual(await snapshot(s.backend), before)
  })
}
