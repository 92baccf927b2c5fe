import assert from 'node:assert/strict'
import {readFile, rename, symlink, utimes, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {describe, test} from 'node:test'

import {hasStackTrace, runCli} from '../helpers/cli.js'
import {rewriteKeepingSizeAndMtime} from '../helpers/same-size-rewrite.js'
import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {savedPlanScene} from './fixture.js'

describe('plan --out, then apply PLANFILE', () => {
  test('applies exactly the saved plan without asking, giving an exact mirror', async (t) => {
    const s = await savedPlanScene(t)
    const planned = await runCli(['plan', s.source, s.replica, '--out', s.planFile])
    assert.equal(planned.code, 0, planned.stderr)
    const saved = JSON.parse(await readFile(s.planFile, 'utf8'))
    assert.equal(saved.format, 'treesync-plan')
    assert.deepEqual(
      saved.operations.map((op: {op: string}) => op.op).sort(),
      ['create', 'delete', 'meta', 'mkdir', 'mkdir', 'rename', 'rmdir', 'rmdir', 'update'].sort(),
    )

    const applied = await runCli(['apply', s.planFile])
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /Apply complete!/)
    await assertMirror(s.source, s.replica)
    assert.match((await runCli(['plan', s.source, s.replica])).stdout, /^No changes\./m)
  })

  test('show renders the saved plan like plan did, and --json prints it back', async (t) => {
    const s = await savedPlanScene(t)
    const planned = await runCli(['plan', s.source, s.replica, '--out', s.planFile])
    const shown = await runCli(['show', s.planFile])
    assert.equal(shown.code, 0)
    assert.equal(shown.stdout, planned.stdout)
    const json = await runCli(['show', s.planFile, '--json'])
    assert.equal(json.code, 0)
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(await readFile(s.planFile, 'utf8')))
  })

  test('a plan file inside SOURCE is refused: writing it would make the plan stale at once', async (t) => {
    const s = await savedPlanScene(t)
    const result = await runCli(['plan', s.source, s.replica, '--out', join(s.source, 'p.json')])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: --out .* is inside SOURCE/)
  })

  test('an existing source file named as --out by a relative path is refused too, and left as it was', async (t) => {
    const s = await savedPlanScene(t)
    await writeFile(join(s.source, 'existing.json'), 'source data')
    const result = await runCli(['plan', basename(s.source), s.replica, '--out', join(basename(s.source), 'existing.json')], {cwd: dirname(s.source)})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: --out .* is inside SOURCE/)
    assert.equal(await readFile(join(s.source, 'existing.json'), 'utf8'), 'source data')
  })

  test('a plan file written inside the replica is not part of the sync', async (t) => {
    const s = await savedPlanScene(t)
    const inside = join(s.replica, 'plan.json')
    assert.equal((await runCli(['plan', s.source, s.replica, '--out', inside])).code, 0)
    const applied = await runCli(['apply', inside, '--json'])
    assert.equal(applied.code, 0, applied.stdout)
    assert.ok(!JSON.parse(applied.stdout).applied.some((a: {path: string}) => a.path === 'plan.json'))
    assert.ok((await readFile(inside, 'utf8')).includes('treesync-plan'), 'the plan file survives')
  })
})

describe('a stale plan is refused whole: exit 1, nothing applied, the changed path named', () => {
  const staleCases: Array<[string, (s: Awaited<ReturnType<typeof savedPlanScene>>) => Promise<void>, string]> = [
    ['source content changed', (s) => writeFile(join(s.source, 'notes.txt'), 'rewritten entirely'), 'notes.txt'],
    [
      'source mtime changed',
      (s) => utimes(join(s.source, 'docs/guide.md'), new Date('2030-01-01'), new Date('2030-01-01')),
      'docs/guide.md',
    ],
    ['replica file changed', (s) => writeFile(join(s.replica, 'notes.txt'), 'edited by someone'), 'notes.txt'],
    ['entry added to a replica dir the plan removes', (s) => writeFile(join(s.replica, 'stale/new.txt'), 'new'), 'stale/new.txt'],
    ['entry appeared where the plan creates one', (s) => writeFile(join(s.replica, 'docs'), 'a file'), 'docs'],
  ]
  for (const [name, change, path] of staleCases) {
    test(name, async (t) => {
      const s = await savedPlanScene(t)
      assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
      await change(s)
      const before = await snapshotTree(s.replica)
      const applied = await runCli(['apply', s.planFile])
      assert.equal(applied.code, 1)
      const message = applied.stderr.trim().split('\n').at(-1)!
      assert.match(message, /^Error: plan is stale: /)
      assert.ok(message.includes(path), `names ${path}: ${message}`)
      assert.ok(!hasStackTrace(applied.stderr))
      assert.deepEqual(await snapshotTree(s.replica), before, 'nothing was applied')
    })
  }

  test('a replica that now resolves elsewhere: refused before the plan is shown', async (t) => {
    const s = await savedPlanScene(t)
    assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
    const moved = join(s.root, 'moved')
    await rename(s.replica, moved)
    await symlink(moved, s.replica)
    const before = await snapshotTree(moved)
    const applied = await runCli(['apply', s.planFile])
    assert.equal(applied.code, 1)
    assert.equal(applied.stdout, '')
    assert.equal(applied.stderr, `Error: plan is stale: its directories now resolve elsewhere (${s.source}, ${moved})\n`)
    assert.deepEqual(await snapshotTree(moved), before, 'nothing was applied')
  })
})

describe('what you reviewed is what you get', () => {
  test('a source file rewritten with the same size and mtime after plan --out: apply PLANFILE fails it by name and the replica keeps its content', async (t) => {
    const s = await savedPlanScene(t)
    const logFile = join(s.root, 'apply.log')
    assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
    // Past the stale check (it compares sizes and mtimes): only the copy's hash can tell.
    await rewriteKeepingSizeAndMtime(join(s.source, 'notes.txt'))
    const replicaNotes = await readFile(join(s.replica, 'notes.txt'))

    const applied = await runCli(['apply', s.planFile, '--log-file', logFile])
    assert.equal(applied.code, 1, applied.stderr)
    const failure = /ERROR update notes\.txt failed: source file content changed since the plan was made \(MD5 [0-9a-f]{32}, planned [0-9a-f]{32}\)$/m
    assert.match(applied.stderr, failure)
    assert.match(await readFile(logFile, 'utf8'), failure)
    assert.ok(!hasStackTrace(applied.stderr))
    assert.deepEqual(await readFile(join(s.replica, 'notes.txt')), replicaNotes)
    assert.equal(await readFile(join(s.replica, 'docs/guide.md'), 'utf8'), '# guide\n', 'the other operations went on')
  })
})

describe('hostile plan files', () => {
  const hostile: Array<[string, (plan: Record<string, any>, s: Awaited<ReturnType<typeof savedPlanScene>>) => void]> = [
    ['a path escaping the replica with ..', (p) => (p.operations[0].path = '../sentinel/victim.txt')],
    ['an absolute path', (p, s) => (p.operations[0].path = join(s.sentinel, 'victim.txt'))],
    ['a backslash path', (p) => (p.operations[0].path = '..\\sentinel\\victim.txt')],
    ['a NUL in a path', (p) => (p.operations[0].path = 'notes.txt\u0000')],
    ['an unknown op', (p) => (p.operations[0].op = 'rm -rf')],
    ['another version', (p) => (p.version = 99)],
    ['a rename from outside the replica', (p) => p.operations.push({...p.operations.find((o: any) => o.op === 'rename'), from: '../sentinel/victim.txt'})],
  ]
  for (const [name, edit] of hostile) {
    test(`rejects ${name} with nothing touched`, async (t) => {
      const s = await savedPlanScene(t)
      assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
      const plan = JSON.parse(await readFile(s.planFile, 'utf8'))
      edit(plan, s)
      await writeFile(s.planFile, JSON.stringify(plan))
      const trees = async () => [await snapshotTree(s.source), await snapshotTree(s.replica), await snapshotTree(s.sentinel)]
      const before = await trees()
      const applied = await runCli(['apply', s.planFile])
      assert.equal(applied.code, 1)
      assert.match(applied.stderr, /^Error: plan file .* is not valid: /m)
      assert.equal(applied.stderr.trim().split('\n').length, 1, 'one line')
      assert.deepEqual(await trees(), before)
    })
  }

  test('a symlink in the replica never redirects a write or delete outside it', async (t) => {
    const s = await savedPlanScene(t)
    await symlink(s.sentinel, join(s.replica, 'door'))
    // A well-formed plan that creates and deletes through the symlinked directory.
    const victim = JSON.parse(JSON.stringify((await snapshotTree(s.sentinel))[0]))
    const plan = {
      format: 'treesync-plan',
      version: 1,
      source: s.source,
      replica: s.replica,
      createdAt: new Date().toISOString(),
      compare: 'md5',
      operations: [
        {op: 'delete', path: 'door/victim.txt', type: 'file', reason: 'extra', replica: {type: 'file', size: 12, mtimeMs: victim.mtimeMs}},
        {op: 'create', path: 'door/notes.txt', type: 'symlink', target: 'x', reason: 'missing'},
      ],
    }
    await writeFile(s.planFile, JSON.stringify(plan))
    const before = await snapshotTree(s.sentinel)
    // --allow-delete-all: the point here is the symlink, not the delete-all guard.
    const applied = await runCli(['apply', s.planFile, '--allow-delete-all'])
    assert.equal(applied.code, 1)
    assert.match(applied.stderr, /plan is stale: door/)
    assert.deepEqual(await snapshotTree(s.sentinel), before)
  })
})

describe('plan --diff', () => {
  test('shows a unified diff for text, names binary files, and skips files over the cap', async (t) => {
    const s = await savedPlanScene(t)
    await writeFile(join(s.source, 'blob.bin'), Buffer.from([1, 0, 2, 3]))
    await writeFile(join(s.replica, 'blob.bin'), Buffer.from([1, 0, 2, 4]))
    await writeFile(join(s.source, 'big.txt'), 'a'.repeat(2000))
    await writeFile(join(s.replica, 'big.txt'), 'b'.repeat(2000))
    const result = await runCli(['plan', s.source, s.replica, '--diff', '--diff-max-bytes', '1000'])
    assert.equal(result.code, 0, result.stderr)
    const out = result.stdout
    assert.match(out, /~ notes\.txt \(size, 29 B\)\n\s+--- replica\/notes\.txt\n\s+\+\+\+ source\/notes\.txt\n\s+@@ -1,3 \+1,3 @@/)
    assert.match(out, /^\s+-line 2$/m)
    assert.match(out, /^\s+\+line two$/m)
    assert.match(out, /~ blob\.bin \(content, 4 B\)\n\s+binary files differ/)
    assert.match(out, /~ big\.txt \(content, 2\.0 KiB\)\n\s+not diffed: larger than 1000 B/)
    assert.match(out.trimEnd().split('\n').at(-1)!, /^Plan: /)
  })
})
