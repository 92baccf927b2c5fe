import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {preparePlan, resolveRoots} from '../../src/index.js'
import {compileExcludes, createExcludeFilter} from '../../src/filter/exclude-filter.js'
import {excludePatternWarnings} from '../../src/filter/pattern-warnings.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'

describe('exclude patterns match case-sensitively, as git on Linux and rsync do', () => {
  const cases: Array<[string, string, boolean, boolean]> = [
    // pattern, path, isDir, excluded
    ['readme.md', 'readme.md', false, true],
    ['readme.md', 'README.md', false, false],
    ['/build/', 'build', true, true],
    ['/build/', 'Build', true, false],
    ['*.LOG', 'a.log', false, false],
    ['*.LOG', 'a.LOG', false, true],
  ]
  for (const [pattern, path, isDir, excluded] of cases) {
    test(`${pattern} ${excluded ? 'excludes' : 'keeps'} ${path}`, () => {
      assert.equal(createExcludeFilter([pattern])!(path, isDir), excluded)
      // Scanner threads rebuild the filter from the rules: they must agree.
      assert.equal(compileExcludes({patterns: [pattern], paths: []})!(path, isDir), excluded)
    })
  }

  test('a threaded scan keeps README.md when readme.md is excluded', async (t) => {
    const root = await tempDir(t)
    await buildTree(join(root, 's'), [
      {path: 'README.md', type: 'file', content: 'kept'},
      {path: 'readme.md', type: 'file', content: 'excluded'},
      {path: 'Build/x', type: 'file', content: 'kept'},
      {path: 'build/x', type: 'file', content: 'excluded'},
    ])
    const roots = await resolveRoots(join(root, 's'), join(root, 'r'))
    for (const inlineEntries of [undefined, 0]) {
      const {plan} = await preparePlan(roots, {compare: 'md5', inlineEntries, excludePatterns: ['readme.md', '/build/']})
      const created = plan.operations.map((op) => op.path).sort()
      assert.deepEqual(created, ['Build', 'Build/x', 'README.md'], `inlineEntries ${inlineEntries}`)
    }
  })
})

describe('patterns that can never match are warned about', () => {
  const roots = ['/data/src', '/data/replica', '/home/me/src']
  const warned = (pattern: string): string | undefined => excludePatternWarnings([pattern], roots)[0]

  for (const pattern of ['./b', './build/', '!./b', 'a/./b', '../b', 'a/../b', '/data/src/build/', '/home/me/src/x.log', '/data/replica']) {
    test(`warns for ${pattern}`, () => {
      const warning = warned(pattern)
      assert.ok(warning, `no warning for ${pattern}`)
      assert.ok(warning.includes(`"${pattern}"`), warning)
    })
  }

  test('the warning names the form that works', () => {
    assert.match(warned('./b')!, /did you mean "\/b"\?/)
    assert.match(warned('!./b')!, /did you mean "!\/b"\?/)
    assert.match(warned('a/./b')!, /did you mean "a\/b"\?/)
    assert.match(warned('/data/src/build/')!, /did you mean "\/build\/"\?/)
  })

  for (const pattern of ['/build/', 'build', '*.log', '.env', '.*', '**/tmp', 'docs/**/*.md', '/data/srcx/y', '# ./comment', '', '/data']) {
    test(`accepts ${JSON.stringify(pattern)} without a warning`, () => {
      assert.equal(warned(pattern), undefined)
    })
  }

  test('one warning per distinct pattern', () => {
    assert.equal(excludePatternWarnings(['./b', ' ./b ', 'ok'], roots).length, 1)
  })
})
