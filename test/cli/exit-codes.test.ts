import assert from 'node:assert/strict'
import {mkdir, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {hasStackTrace} from '../helpers/cli.js'
import {buildTree} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, differingTrees, lastLine, lines, parseJson, workspace, type PlanJson} from './support.js'

const differing = differingTrees

describe('exit codes', () => {
  test('plan exits 0 with changes, and 0 without', async (t) => {
    const {ws, src, rep} = await differing(t)
    const withChanges = await ws.cli(['plan', src, rep])
    assert.equal(withChanges.code, 0, withChanges.stderr)
    assert.match(lastLine(withChanges.stdout), /^Plan: /)

    const identical = join(ws.dir, 'copy')
    await buildTree(identical, [
      {path: 'a.txt', type: 'file', content: 'new'},
      {path: 'sub/b.txt', type: 'file', content: 'b'},
    ])
    const noChanges = await ws.cli(['plan', src, identical])
    assert.equal(noChanges.code, 0, noChanges.stderr)
    assert.match(lastLine(noChanges.stdout), /^No changes\./)
  })

  test('plan --detailed-exitcode exits 2 with changes and 0 without, also with --json', async (t) => {
    const {ws, src, rep} = await differing(t)
    const changes = await ws.cli(['plan', src, rep, '--detailed-exitcode'])
    assert.equal(changes.code, 2, changes.stderr)
    assert.match(lastLine(changes.stdout), /^Plan: /)

    const changesJson = await ws.cli(['plan', src, rep, '--detailed-exitcode', '--json'])
    assert.equal(changesJson.code, 2, changesJson.stderr)
    assert.ok((parseJson(changesJson.stdout) as PlanJson).operations.length > 0)

    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)

    const none = await ws.cli(['plan', src, rep, '--detailed-exitcode'])
    assert.equal(none.code, 0, none.stderr)
    assert.match(lastLine(none.stdout), /^No changes\./)
    const noneJson = await ws.cli(['plan', src, rep, '--detailed-exitcode', '--json'])
    assert.equal(noneJson.code, 0, noneJson.stderr)
    assert.deepEqual((parseJson(noneJson.stdout) as PlanJson).operations, [])
  })

  test('plan --detailed-exitcode exits 1, not 2, on an error', async (t) => {
    const ws = await workspace(t)
    const result = await ws.cli(['plan', join(ws.dir, 'missing'), join(ws.dir, 'rep'), '--detailed-exitcode'])
    assert.equal(result.code, 1)
    assert.equal(lines(result.stderr).length, 1, result.stderr)
  })

  test('apply without --auto-approve refuses when stdin is not a terminal, changing nothing', async (t) => {
    const {ws, src, rep} = await differing(t)
    const before = await snapshotTree(ws.dir)
    const result = await ws.cli(['apply', src, rep], {input: 'yes\n'})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /terminal|auto-approve|confirm/i)
    assert.ok(!hasStackTrace(result.stderr), result.stderr)
    assert.deepEqual(await snapshotTree(ws.dir), before)
  })

  test('apply of an empty plan succeeds without asking, even without a terminal', async (t) => {
    const specs = [{path: 'a.txt', type: 'file' as const, content: 'same'}]
    const {ws, src, rep} = await cliTrees(t, specs, specs)
    const before = await snapshotTree(ws.dir)
    const result = await ws.cli(['apply', src, rep])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /No changes\./)
    assert.deepEqual(await snapshotTree(ws.dir), before)
  })

  test('an unknown command exits 1 with one line naming it', async (t) => {
    const ws = await workspace(t)
    const result = await ws.cli(['frobnicate', ws.dir, join(ws.dir, 'rep')])
    assert.equal(result.code, 1)
    assert.ok(!hasStackTrace(result.stderr), result.stderr)
    assert.match(result.stderr, /^Error: unknown command "frobnicate" \(commands: apply, plan, show, watch; see treesync --help\)\n$/)
  })
})

/**
 * Each refused input, built in a workspace that also holds a differing source and replica.
 * `args` may use SRC, REP and WS, replaced by the workspace's paths.
 */
const REFUSALS: Array<{name: string; args: string[]; setup?: (dir: string) => Promise<void>; pattern?: RegExp}> = [
  {name: 'SOURCE missing', args: ['WS/no-such-dir', 'REP'], pattern: /no-such-dir/},
  {name: 'SOURCE a file', args: ['WS/a-file', 'REP'], pattern: /a-file/},
  {name: 'REPLICA an existing file', args: ['SRC', 'WS/a-file'], pattern: /a-file/},
  {name: 'SOURCE equal to REPLICA', args: ['SRC', 'SRC']},
  {name: 'SOURCE equal to REPLICA written differently', args: ['SRC', 'WS/./src/']},
  {name: 'REPLICA nested in SOURCE', args: ['SRC', 'SRC/sub/inner']},
  {name: 'SOURCE nested in REPLICA', args: ['REP/nested', 'REP'], setup: (dir) => mkdir(join(dir, 'rep', 'nested'))},
  {name: 'REPLICA a symlink to SOURCE', args: ['SRC', 'WS/alias'], setup: (dir) => symlink('src', join(dir, 'alias'))},
  {name: 'SOURCE a symlink to REPLICA', args: ['WS/alias', 'REP'], setup: (dir) => symlink('rep', join(dir, 'alias'))},
  {
    name: 'REPLICA nested in SOURCE through a symlink',
    args: ['SRC', 'WS/alias/sub/new'],
    setup: (dir) => symlink('src', join(dir, 'alias')),
  },
  {name: 'an unknown flag', args: ['SRC', 'REP', '--no-such-flag'], pattern: /no-such-flag/},
  {name: 'a missing argument', args: ['SRC']},
  {name: 'no arguments at all', args: []},
  {name: 'an extra argument', args: ['SRC', 'REP', 'WS/third']},
  {name: 'a log file in a nonexistent directory', args: ['SRC', 'REP', '--log-file', 'WS/no-dir/sync.log'], pattern: /sync\.log/},
  {name: 'a log file that is a directory', args: ['SRC', 'REP', '--log-file', 'WS/logs'], setup: (dir) => mkdir(join(dir, 'logs'))},
  {name: 'a flag without its value', args: ['SRC', 'REP', '--compare'], pattern: /compare/},
  {name: 'an invalid --compare', args: ['SRC', 'REP', '--compare', 'sha1'], pattern: /compare/},
  {name: '--concurrency 0', args: ['SRC', 'REP', '--concurrency', '0'], pattern: /concurrency/},
  {name: 'a non-numeric --concurrency', args: ['SRC', 'REP', '--concurrency', 'many'], pattern: /concurrency/},
]

describe('refused inputs exit 1 with one line on stderr, no stack trace, and touch nothing', () => {
  for (const refusal of REFUSALS) {
    test(`apply refuses ${refusal.name}`, async (t) => {
      const {ws, src, rep} = await differing(t)
      await writeFile(join(ws.dir, 'a-file'), 'not a directory')
      await refusal.setup?.(ws.dir)
      const args = refusal.args.map((a) => a.replace(/^SRC/, src).replace(/^REP/, rep).replace(/^WS/, ws.dir))
      const before = await snapshotTree(ws.dir)

      const result = await ws.cli(['apply', ...args, '--auto-approve'])
      assert.equal(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
      assert.equal(lines(result.stderr).length, 1, `expected one line on stderr:\n${result.stderr}`)
      assert.ok(!hasStackTrace(result.stderr), result.stderr)
      if (refusal.pattern) assert.match(result.stderr, refusal.pattern)
      assert.deepEqual(await snapshotTree(ws.dir), before, 'a refused apply changed the workspace')
    })
  }

  test('plan refuses the same inputs the same way (roots nested, bad flags)', async (t) => {
    const {ws, src, rep} = await differing(t)
    const before = await snapshotTree(ws.dir)
    for (const args of [
      [src, join(src, 'inner')],
      [src, rep, '--compare', 'crc'],
      [src, rep, '--log-file', join(ws.dir, 'nowhere', 'x.log')],
    ]) {
      const result = await ws.cli(['plan', ...args])
      assert.equal(result.code, 1, `plan ${args.join(' ')}: ${result.stderr}`)
      assert.equal(result.stdout, '')
      assert.equal(lines(result.stderr).length, 1, result.stderr)
      assert.ok(!hasStackTrace(result.stderr), result.stderr)
    }
    assert.deepEqual(await snapshotTree(ws.dir), before)
  })

  test('with --json, a refusal is a JSON object with an error member on stdout', async (t) => {
    const {ws, src, rep} = await differing(t)
    const before = await snapshotTree(ws.dir)
    for (const args of [
      ['plan', join(ws.dir, 'missing'), rep],
      ['apply', src, src, '--auto-approve'],
      ['plan', src, rep, '--bogus-flag'],
      ['plan', src],
      ['apply', src, rep],
    ]) {
      const result = await ws.cli([...args, '--json'])
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`)
      const out = parseJson(result.stdout)
      assert.ok(out !== null && typeof out === 'object' && 'error' in out, `${args.join(' ')}: ${result.stdout}`)
      assert.ok(!hasStackTrace(result.stderr), result.stderr)
    }
    assert.deepEqual(await snapshotTree(ws.dir), before)
  })
})
