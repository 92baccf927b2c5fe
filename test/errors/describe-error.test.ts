import assert from 'node:assert/strict'
import {test} from 'node:test'

import {describeError, TreesyncError} from '../../src/errors.js'

const fsError = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: open '/abs/replica/a.txt'`), {code})

test('describeError names the error path, else the path being worked on, with a short message', () => {
  const cases: Array<[string, unknown, {path: string; message: string}]> = [
    ['a treesync error with its own path', new TreesyncError('PLAN_STALE', 'changed', 'dir/b.txt'), {path: 'dir/b.txt', message: 'changed'}],
    ['a treesync error without a path', new TreesyncError('BAD_INPUT', 'no path here'), {path: 'a.txt', message: 'no path here'}],
    ['an fs error, whose message repeats the absolute path', fsError('EACCES'), {path: 'a.txt', message: 'permission denied'}],
    ['anything else thrown', 'a string', {path: 'a.txt', message: 'a string'}],
  ]
  for (const [name, error, expected] of cases) assert.deepEqual(describeError(error, 'a.txt'), expected, name)
})

test('describeError without a path to fall back on names the path an fs error carries, if any', () => {
  assert.deepEqual(describeError(fsError('ENOSPC')), {path: undefined, message: 'no space left on device'})
  const withPath = Object.assign(fsError('EACCES'), {path: '/abs/replica/a.txt'})
  assert.deepEqual(describeError(withPath), {path: '/abs/replica/a.txt', message: 'permission denied'})
  assert.deepEqual(describeError(withPath, 'a.txt'), {path: 'a.txt', message: 'permission denied'})
})
