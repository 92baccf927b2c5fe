import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {Entry, Operation} from '../../src/index.js'
import {planSync} from '../../src/index.js'
import {orderOperations} from '../../src/plan/order-operations.js'
import {depthOf, isInside, parentPath} from '../../src/tree/paths.js'
import {CREATED_AT, dir, file, link, replica, source} from './manifest-literals.js'

/** Plans literal trees under --compare md5 and returns the ordered operations. */
function planned(src: Entry[], rep: Entry[]): Operation[] {
  return planSync(source(...src), replica(...rep), {compare: 'md5', createdAt: CREATED_AT}).operations
}

/** The position of the first operation matching `op` and `path` (and `from` for renames). */
function at(ops: readonly Operation[], op: Operation['op'], path: string): number {
  const i = ops.findIndex((o) => o.op === op && o.path === path)
  assert.notEqual(i, -1, `no ${op} ${path} in ${JSON.stringify(ops.map((o) => `${o.op} ${o.path}`))}`)
  return i
}

/**
 * Walks the operations over the set of paths the replica holds and names every ordering
 * rule broken on the way (an empty list means the order is applicable).
 */
function orderingProblems(rep: Entry[], ops: readonly Operation[]): string[] {
  const present = new Map(rep.map((e) => [e.path, e.type]))
  const problems: string[] = []
  const parentReady = (path: string, i: number): void => {
    const parent = parentPath(path)
    if (parent !== '' && present.get(parent) !== 'dir') problems.push(`#${i} ${path}: parent ${parent} is not a directory yet`)
  }
  const place = (path: string, type: Entry['type'], i: number): void => {
    parentReady(path, i)
    if (present.has(path)) problems.push(`#${i} ${path}: created before the old ${present.get(path)} there is removed`)
    present.set(path, type)
  }
  const firstDirMeta = ops.findIndex((o) => o.op === 'meta' && o.type === 'dir')
  ops.forEach((op, i) => {
    switch (op.op) {
      case 'mkdir':
        return place(op.path, 'dir', i)
      case 'create':
        return place(op.path, op.type, i)
      case 'rename':
        if (present.get(op.from) !== 'file') problems.push(`#${i} rename from ${op.from}: it is gone already`)
        present.delete(op.from)
        return place(op.path, 'file', i)
      case 'update':
      case 'meta':
        if (!present.has(op.path)) problems.push(`#${i} ${op.op} ${op.path}: absent`)
        if (op.op === 'meta' && op.type === 'dir' && ops.slice(i).some((o) => !(o.op === 'meta' && o.type === 'dir'))) {
          problems.push(`#${i} meta ${op.path}/: directory metadata is not last`)
        }
        return parentReady(op.path, i)
      case 'delete':
      case 'rmdir': {
        if (!present.has(op.path)) problems.push(`#${i} ${op.op} ${op.path}: absent`)
        const child = [...present.keys()].find((p) => isInside(p, op.path))
        if (child !== undefined) problems.push(`#${i} ${op.op} ${op.path}: still holds ${child}`)
        present.delete(op.path)
      }
    }
  })
  const dirMetas = firstDirMeta < 0 ? [] : ops.slice(firstDirMeta)
  dirMetas.forEach((op, k) => {
    const next = dirMetas[k + 1]
    if (next && depthOf(next.path) > depthOf(op.path)) problems.push(`meta ${next.path}/ is deeper than ${op.path}/ but comes after it`)
  })
  return problems
}

describe('orderOperations', () => {
  test('creates each directory before anything inside it, however deep', () => {
    const src = [dir('a'), dir('a/b'), dir('a/b/c'), file('a/b/c/f', {md5: 'm1'}), link('a/b/l', 'x'), file('z')]
    const ops = planned(src, [file('z')])
    assert.deepEqual(orderingProblems([file('z')], ops), [])
    assert.ok(at(ops, 'mkdir', 'a') < at(ops, 'mkdir', 'a/b'))
    assert.ok(at(ops, 'mkdir', 'a/b/c') < at(ops, 'create', 'a/b/c/f'))
  })

  test('creates nothing at a path before the entry of another kind there is removed', () => {
    const rep = [file('f'), dir('d'), file('d/x', {md5: 'm1'}), link('l', 't'), file('l2')]
    const src = [dir('f'), file('f/in', {md5: 'm2'}), file('d', {md5: 'm3'}), dir('l'), link('l2', 'u')]
    const ops = planned(src, rep)
    assert.deepEqual(orderingProblems(rep, ops), [])
    assert.ok(at(ops, 'delete', 'f') < at(ops, 'mkdir', 'f'))
    assert.ok(at(ops, 'rmdir', 'd') < at(ops, 'create', 'd'))
    assert.ok(at(ops, 'delete', 'l') < at(ops, 'mkdir', 'l'))
    assert.ok(at(ops, 'delete', 'l2') < at(ops, 'create', 'l2'))
  })

  test('removes a directory only after its children are removed or moved away', () => {
    const rep = [dir('old'), file('old/keep', {size: 7, md5: 'm7'}), file('old/g'), dir('old/sub'), link('old/sub/l', 'x')]
    const src = [dir('new'), file('new/keep', {size: 7, md5: 'm7'})]
    const ops = planned(src, rep)
    assert.deepEqual(orderingProblems(rep, ops), [])
    const rmdirOld = at(ops, 'rmdir', 'old')
    assert.ok(at(ops, 'rename', 'new/keep') < rmdirOld)
    assert.ok(at(ops, 'delete', 'old/g') < rmdirOld)
    assert.ok(at(ops, 'rmdir', 'old/sub') < rmdirOld)
  })

  test('renames a file before its old path is reused by a new entry', () => {
    const rep = [file('x', {size: 7, md5: 'm7'})]
    const src = [dir('x'), file('x/inner', {md5: 'm1'}), file('y', {size: 7, md5: 'm7'})]
    const ops = planned(src, rep)
    assert.deepEqual(orderingProblems(rep, ops), [])
    assert.ok(at(ops, 'rename', 'y') < at(ops, 'mkdir', 'x'))
  })

  test('renames into a new directory only once that directory exists', () => {
    const rep = [file('a', {size: 7, md5: 'm7'})]
    const src = [dir('n'), dir('n/m'), file('n/m/a', {size: 7, md5: 'm7'})]
    const ops = planned(src, rep)
    assert.deepEqual(orderingProblems(rep, ops), [])
    assert.ok(at(ops, 'mkdir', 'n/m') < at(ops, 'rename', 'n/m/a'))
  })

  test('puts directory metadata last, deepest first', () => {
    const rep = [dir('a', {mode: 0o700}), dir('a/b', {mode: 0o700}), dir('a/b/c', {mode: 0o700}), dir('z', {mode: 0o700}), file('a/b/old')]
    const src = [dir('a'), dir('a/b'), dir('a/b/c'), dir('z'), file('a/b/c/new', {md5: 'm1'})]
    const ops = planned(src, rep)
    assert.deepEqual(orderingProblems(rep, ops), [])
    assert.deepEqual(
      ops.slice(-4).map((o) => `${o.op} ${o.path}`),
      ['meta a/b/c', 'meta a/b', 'meta a', 'meta z'],
    )
  })

  test('gives the same order whatever the order of its input', () => {
    const rep = [dir('a'), file('a/x'), file('b'), dir('c', {mode: 0o700}), file('c/y', {size: 7, md5: 'm7'})]
    const src = [file('a', {md5: 'm2'}), dir('b'), file('b/y', {size: 7, md5: 'm7'}), dir('c'), dir('d'), file('d/e', {md5: 'm3'})]
    const ops = planned(src, rep)
    assert.ok(ops.length >= 8)
    for (const rotation of [1, 3, 5]) {
      const shuffled = [...ops.slice(rotation), ...ops.slice(0, rotation)].reverse()
      assert.deepEqual(orderOperations(shuffled), ops)
    }
  })
})
