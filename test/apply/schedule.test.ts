import assert from 'node:assert/strict'
import {setTimeout as sleep} from 'node:timers/promises'
import {test} from 'node:test'

import type {Operation} from '../../src/index.js'
import {runInPathOrder} from '../../src/apply/schedule.js'

const mkdir = (path: string): Operation => ({op: 'mkdir', path, reason: 'missing', mode: 0o755, mtimeMs: 0})
const create = (path: string): Operation => ({op: 'create', path, type: 'symlink', target: 'x', reason: 'missing'})

test('runs operations on unrelated paths concurrently, up to the limit', async () => {
  const ops = ['a', 'b', 'c', 'd', 'e'].map(create)
  let inFlight = 0
  let peak = 0
  await runInPathOrder(ops, 3, async () => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await sleep(5)
    inFlight--
  })
  assert.equal(peak, 3)
})

test('an operation waits for earlier ones on its ancestors, its path or its descendants', async () => {
  const ops = [mkdir('d'), create('other'), create('d/x'), create('d/y')]
  const events: string[] = []
  await runInPathOrder(ops, 8, async (op) => {
    events.push(`start ${op.path}`)
    await sleep(op.path === 'd' ? 20 : 1)
    events.push(`end ${op.path}`)
  })
  const index = (e: string): number => events.indexOf(e)
  assert.ok(index('end d') < index('start d/x'), 'd/x starts after d is done')
  assert.ok(index('end d') < index('start d/y'), 'd/y starts after d is done')
  assert.ok(index('start other') < index('end d'), 'an unrelated path does not wait')
})

test('an operation on a directory waits for running ones inside it, and a rename for both of its paths', async () => {
  const rmdir = (path: string): Operation => ({op: 'rmdir', path, reason: 'extra', replica: {type: 'dir'}})
  const rename = (from: string, path: string): Operation =>
    ({op: 'rename', from, path, type: 'file', reason: 'moved', size: 1, mode: 0o644, mtimeMs: 0, replica: {type: 'file'}}) as Operation
  const ops = [create('old/deep/x'), create('new/y'), rmdir('old/deep'), rename('a/f', 'b/f'), create('a/f'), create('b/f/z')]
  const events: string[] = []
  await runInPathOrder(ops, 8, async (op) => {
    events.push(`start ${op.path}`)
    await sleep(op.path === 'old/deep/x' ? 20 : op.op === 'rename' ? 10 : 1)
    events.push(`end ${op.path}`)
  })
  const index = (e: string): number => events.indexOf(e)
  assert.ok(index('end old/deep/x') < index('start old/deep'), 'the directory waits for the entry inside it')
  assert.ok(index('start new/y') < index('end old/deep/x'), 'an unrelated path does not wait')
  assert.ok(index('end b/f') < index('start a/f'), 'the rename source path waits for the rename')
  assert.ok(index('end b/f') < index('start b/f/z'), 'a path under the rename target waits for the rename')
})
