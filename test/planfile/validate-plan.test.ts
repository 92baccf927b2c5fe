import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {readPlanFile, toPlanJson, validatePlan, writePlanFile} from '../../src/index.js'
import {tempDir} from '../helpers/temp-dir.js'
import {samplePlan} from './sample-plan.js'

/** Applies `edit` to the sample plan's JSON document (parsed, so anything goes). */
function mutated(edit: (plan: Record<string, any>) => void): unknown {
  const plan = JSON.parse(JSON.stringify(toPlanJson(samplePlan())))
  edit(plan)
  return plan
}

describe('validatePlan accepts what treesync writes', () => {
  test('a plan round-trips: write, read, deep-equal', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'p.json')
    await writePlanFile(file, samplePlan())
    assert.deepEqual(await readPlanFile(file), samplePlan())
    assert.ok((await readFile(file, 'utf8')).endsWith('}\n'))
  })

  test('a plain backslash is an ordinary character in a POSIX name', () => {
    const plan = validatePlan(mutated((p) => (p.operations[6].path = 'dir/a\\b.txt')), 'p.json')
    assert.equal(plan.operations[6]!.path, 'dir/a\\b.txt')
  })

  test('the summary is recomputed from the operations, never trusted', () => {
    const plan = validatePlan(mutated((p) => (p.summary = {create: 0, update: 0, delete: 99})), 'p.json')
    assert.equal(plan.summary.delete, 1)
  })
})

describe('validatePlan rejects a hostile or foreign plan whole', () => {
  const cases: Array<[string, (plan: Record<string, any>) => void, RegExp]> = [
    ['another format', (p) => (p.format = 'terraform-plan'), /format/],
    ['another version', (p) => (p.version = 3), /version 3 is not supported \(this treesync reads versions 1 and 2\)/],
    ['a version as text', (p) => (p.version = '2'), /version "2" is not supported/],
    ['operations not a list', (p) => (p.operations = {}), /operations is not a list/],
    ['an unknown op', (p) => (p.operations[0].op = 'chmod'), /operations\[0\]\.op "chmod"/],
    ['an unknown reason', (p) => (p.operations[0].reason = 'because'), /reason/],
    ['an absolute path', (p) => (p.operations[6].path = '/etc/passwd'), /operations\[6\]\.path is absolute/],
    ['a ".." segment', (p) => (p.operations[6].path = '../outside/x'), /has a "\.\." segment/],
    ['a ".." in the middle', (p) => (p.operations[6].path = 'a/../../x'), /has a "\.\." segment/],
    ['a "." segment', (p) => (p.operations[6].path = './x'), /has a "\." segment/],
    ['an empty path', (p) => (p.operations[6].path = ''), /is empty/],
    ['an empty segment', (p) => (p.operations[6].path = 'a//b'), /empty segment/],
    ['a NUL byte', (p) => (p.operations[6].path = 'a\u0000b'), /NUL/],
    ['a backslash trick', (p) => (p.operations[6].path = '..\\..\\x'), /when backslashes are read as separators/],
    ['a backslash-absolute path', (p) => (p.operations[6].path = '\\etc\\passwd'), /absolute when backslashes/],
    ['a drive-letter path', (p) => (p.operations[6].path = 'C:\\x'), /absolute when backslashes/],
    ['a path that is not a string', (p) => (p.operations[6].path = 42), /not a string/],
    ['a rename from outside', (p) => (p.operations[5].from = '../x'), /operations\[5\]\.from/],
    ['a rename onto itself', (p) => (p.operations[5].from = 'new.txt'), /onto itself/],
    ['a relative replica root', (p) => (p.replica = 'replica'), /replica is not a normalised absolute path/],
    ['an unnormalised source root', (p) => (p.source = '/srv/../etc'), /source is not a normalised absolute path/],
    ['a mode out of range', (p) => (p.operations[0].mode = 0o17777), /mode/],
    ['a negative size', (p) => (p.operations[1].size = -1), /size/],
    ['a fractional mtime', (p) => (p.operations[1].mtimeMs = 1.5), /mtimeMs/],
    ['a bad md5', (p) => (p.operations[1].md5 = 'zz'), /md5/],
    ['an unknown entry type', (p) => (p.operations[6].type = 'fifo'), /type/],
    ['a missing replica precondition', (p) => delete p.operations[6].replica, /replica is not an object/],
    ['an empty symlink target', (p) => (p.operations[2].target = ''), /target/],
  ]
  for (const [name, edit, message] of cases) {
    test(`rejects ${name}`, () => {
      assert.throws(() => validatePlan(mutated(edit), 'p.json'), (error: Error & {code?: string}) => {
        assert.equal(error.code, 'PLAN_INVALID')
        assert.match(error.message, /^plan file p\.json is not valid: /)
        assert.match(error.message, message)
        return true
      })
    })
  }

  test('rejects a document that is a list, not an object', () => {
    assert.throws(() => validatePlan([toPlanJson(samplePlan())], 'p.json'), /the document is not an object/)
  })

  test('rejects a file that is not JSON', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'p.json')
    await writePlanFile(file, samplePlan())
    const {writeFile} = await import('node:fs/promises')
    await writeFile(file, '{"format": "treesync-plan", ')
    await assert.rejects(readPlanFile(file), /is not valid JSON/)
  })
})
