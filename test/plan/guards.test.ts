import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {applyPlan, holdRemovals, isTreesyncError, planSync, type Entry, type Manifest} from '../../src/index.js'
import {looksLikeEmptySource} from '../../src/plan/guards.js'
import {CREATED_AT, dir, file} from './manifest-literals.js'

function manifestOf(root: string, entries: Entry[]): Manifest {
  return {root, exists: true, entries, warnings: [], temporaries: [], excluded: []}
}

/** Files with distinct contents, so no pair of them looks like a rename. */
const files = (prefix: string, n: number): Entry[] =>
  Array.from({length: n}, (_, i) => file(`${prefix}${String(i).padStart(4, '0')}`, {md5: `${prefix}-${i}`}))

function planOf(source: Entry[], replica: Entry[]) {
  return planSync(manifestOf('/src', source), manifestOf('/rep', replica), {compare: 'md5', createdAt: CREATED_AT})
}

describe('the empty-source guard', () => {
  const cases: Array<[string, Entry[], Entry[], boolean]> = [
    ['an empty source over a populated replica', [], files('r', 3), true],
    ['an empty replica', files('s', 3), [], false],
    ['a first sync: 7 source entries into a replica holding 1 stale file', files('s', 7), files('stale', 1), false],
    ['a first sync: 200 source entries into a replica holding 20 stale files', files('s', 200), files('stale', 20), false],
    ['a stray file on an unmounted mount point over 3 entries', files('NOT_MOUNTED', 1), files('r', 3), true],
    ['an empty folder the large replica also has', [dir('lost+found')], [dir('lost+found'), ...files('r', 150)], true],
    ['a large replica losing 90 % to a source of 15 entries (a tenth: not "almost nothing")', files('r', 15), files('r', 150), false],
    ['a small replica that loses most but not all', [file('r0000')], files('r', 50), false],
    ['a replica that keeps its entries', files('r', 150), files('r', 150), false],
  ]
  for (const [name, source, replica, fires] of cases) {
    test(`${fires ? 'fires' : 'does not fire'} for ${name}`, () => {
      assert.equal(looksLikeEmptySource(planOf(source, replica)), fires)
    })
  }

  test('holds for library calls: applyPlan refuses before touching anything, unless told otherwise', async () => {
    const plan = planOf([], files('r', 3))
    await assert.rejects(applyPlan(plan), (error) => isTreesyncError(error) && error.code === 'DELETE_GUARD')
  })
})

describe('holding removals back', () => {
  test('keeps creates, updates and fixes; holds removals and what needs them gone', () => {
    const plan = planOf(
      [file('new.txt', {md5: 'new'}), file('same.txt', {md5: 'changed'}), file('was-a-dir', {md5: 'file'})],
      [file('same.txt'), file('gone.txt', {md5: 'gone'}), dir('was-a-dir'), file('was-a-dir/inner.txt', {md5: 'inner'})],
    )
    const {plan: runnable, held} = holdRemovals(plan)
    assert.deepEqual(runnable.operations.map((op) => `${op.op} ${op.path}`).sort(), ['create new.txt', 'update same.txt'])
    assert.deepEqual(held.map((op) => `${op.op} ${op.path}`).sort(), [
      'create was-a-dir',
      'delete gone.txt',
      'delete was-a-dir/inner.txt',
      'rmdir was-a-dir',
    ])
    assert.equal(runnable.summary.create, 1)
    assert.equal(runnable.summary.delete, 0)
  })
})
