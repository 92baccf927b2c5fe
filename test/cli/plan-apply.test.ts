import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {access, lstat, readFile, readlink, realpath} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {buildTree, FIXED_MTIME_MS, setTime, type EntrySpec} from '../helpers/tree-builder.js'
import {randomTree, seededRandom} from '../helpers/random-tree.js'
import {cliTrees, lastLine, operationLines, parseJson, workspace, type ApplyJson, type PlanJson} from './support.js'

const T0 = FIXED_MTIME_MS
const md5 = (text: string): string => createHash('md5').update(text).digest('hex')

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** A source and a replica that need every kind of operation. */
const SOURCE: EntrySpec[] = [
  {path: 'docs', type: 'dir', mode: 0o755},
  {path: 'docs/a.txt', type: 'file', content: 'hello docs\n'},
  {path: 'empty', type: 'dir'},
  {path: 'empty/nested', type: 'dir', mode: 0o700, mtimeMs: T0 - 5000},
  {path: 'b.bin', type: 'file', content: 'new and longer content'},
  {path: 'same-size.txt', type: 'file', content: 'AAAA'},
  {path: 'c.txt', type: 'file', content: 'same content', mtimeMs: T0},
  {path: 'd.sh', type: 'file', content: '#!/bin/sh\n', mode: 0o755},
  {path: 'moved.txt', type: 'file', content: 'content that only moved, not changed'},
  {path: 'kept.txt', type: 'file', content: 'unchanged'},
  {path: 'link-to-dir', type: 'symlink', target: 'docs'},
  {path: 'dangling', type: 'symlink', target: 'does/not/exist'},
  {path: 'retarget', type: 'symlink', target: 'docs/a.txt'},
]

const REPLICA: EntrySpec[] = [
  {path: 'b.bin', type: 'file', content: 'old'},
  {path: 'same-size.txt', type: 'file', content: 'BBBB'},
  {path: 'c.txt', type: 'file', content: 'same content', mtimeMs: T0 - 60_000},
  {path: 'd.sh', type: 'file', content: '#!/bin/sh\n', mode: 0o644},
  {path: 'old/name.txt', type: 'file', content: 'content that only moved, not changed'},
  {path: 'kept.txt', type: 'file', content: 'unchanged'},
  {path: 'retarget', type: 'symlink', target: 'b.bin'},
  {path: 'stale.log', type: 'file', content: 'stale'},
  {path: 'gone/x.txt', type: 'file', content: 'x'},
  {path: 'gone/sub/y.txt', type: 'file', content: 'y'},
  {path: 'old-empty', type: 'dir'},
]

/** (op, path, reason) triples the scenario's plan must hold, and nothing else. */
const EXPECTED_OPERATIONS = [
  'create dangling missing',
  'create docs/a.txt missing',
  'create link-to-dir missing',
  'delete gone/sub/y.txt extra',
  'delete gone/x.txt extra',
  'delete stale.log extra',
  'meta c.txt mtime',
  'meta d.sh mode',
  'mkdir docs missing',
  'mkdir empty missing',
  'mkdir empty/nested missing',
  'rename moved.txt moved',
  'rmdir gone extra',
  'rmdir gone/sub extra',
  'rmdir old extra',
  'rmdir old-empty extra',
  'update b.bin size',
  'update retarget target',
  'update same-size.txt content',
]

async function scenario(t: Parameters<typeof workspace>[0]) {
  return cliTrees(t, SOURCE, REPLICA)
}

/** Checks that `operations` can be applied in order: parents before children, contents before their directory's removal. */
function assertApplicableOrder(plan: PlanJson): void {
  const index = (op: string, path: string): number => plan.operations.findIndex((o) => o.op === op && o.path === path)
  plan.operations.forEach((o, i) => {
    const parent = o.path.split('/').slice(0, -1).join('/')
    const mkdirAt = parent === '' ? -1 : index('mkdir', parent)
    assert.ok(mkdirAt < i, `${o.op} ${o.path} comes before the mkdir of its parent`)
    if (o.op === 'rmdir') {
      plan.operations.forEach((other, j) => {
        const touched = [other.path, other.from].filter((p): p is string => p !== undefined)
        if (touched.some((p) => p.startsWith(o.path + '/'))) assert.ok(j < i, `${other.op} ${other.path} comes after rmdir ${o.path}`)
      })
    }
  })
}

describe('plan and apply, end to end', () => {
  test('plan lists every kind of operation with its sigil and ends with a Plan: line', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const result = await ws.cli(['plan', src, rep])
    assert.equal(result.code, 0, result.stderr)
    const ops = operationLines(result.stdout)
    const has = (sigil: string, path: string): boolean => ops.some((l) => l === `${sigil} ${path}` || l.startsWith(`${sigil} ${path} `))
    for (const path of ['docs/', 'docs/a.txt', 'empty/', 'empty/nested/', 'dangling', 'link-to-dir']) assert.ok(has('+', path), `no "+ ${path}" line in:\n${result.stdout}`)
    for (const path of ['b.bin', 'same-size.txt', 'c.txt', 'd.sh', 'retarget']) assert.ok(has('~', path), `no "~ ${path}" line in:\n${result.stdout}`)
    for (const path of ['stale.log', 'gone/', 'old/', 'old-empty/']) assert.ok(has('-', path), `no "- ${path}" line in:\n${result.stdout}`)
    assert.ok(
      ops.some((l) => l.startsWith('> ') && l.includes('old/name.txt') && l.includes('moved.txt')),
      `no rename line in:\n${result.stdout}`,
    )
    assert.ok(ops.some((l) => l.startsWith('+ link-to-dir') && l.includes('docs')), 'symlink line shows its target')
    assert.ok(!ops.some((l) => l.includes('kept.txt')), 'an unchanged file is listed')
    assert.match(lastLine(result.stdout), /^Plan: /)
    assert.ok(!result.stdout.includes('No changes.'))
  })

  test('plan --json prints exactly one plan document with every operation, in an applicable order', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const result = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const plan = parseJson(result.stdout) as PlanJson
    assert.equal(plan.format, 'treesync-plan')
    assert.equal(plan.version, 2)
    assert.equal(plan.source, await realpath(src))
    assert.equal(plan.replica, await realpath(rep))
    assert.match(plan.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/)
    assert.ok(!Number.isNaN(Date.parse(plan.createdAt)))
    assert.deepEqual(plan.operations.map((o) => `${o.op} ${o.path} ${o.reason}`).sort(), EXPECTED_OPERATIONS)

    const find = (op: string, path: string) => plan.operations.find((o) => o.op === op && o.path === path)!
    assert.deepEqual(
      {type: find('create', 'docs/a.txt').type, size: find('create', 'docs/a.txt').size, md5: find('create', 'docs/a.txt').md5},
      {type: 'file', size: 11, md5: md5('hello docs\n')},
    )
    assert.equal(find('update', 'b.bin').size, 22)
    assert.equal(find('update', 'b.bin').md5, md5('new and longer content'))
    assert.deepEqual([find('create', 'link-to-dir').type, find('create', 'link-to-dir').target], ['symlink', 'docs'])
    assert.deepEqual([find('create', 'dangling').type, find('create', 'dangling').target], ['symlink', 'does/not/exist'])
    assert.deepEqual([find('update', 'retarget').type, find('update', 'retarget').target], ['symlink', 'docs/a.txt'])
    assert.equal(find('rename', 'moved.txt').from, 'old/name.txt')
    assert.equal(find('delete', 'stale.log').type, 'file')
    assertApplicableOrder(plan)

    const count = (op: string): number => plan.operations.filter((o) => o.op === op).length
    assert.deepEqual(plan.summary, {
      create: count('create'),
      update: count('update'),
      delete: count('delete'),
      mkdir: count('mkdir'),
      rmdir: count('rmdir'),
      meta: count('meta'),
      rename: count('rename'),
      bytes: 11 + 22 + 4,
    })
  })

  test('apply --auto-approve makes an exact mirror, after which plan prints No changes.', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /^Plan: /m, 'apply shows the plan first')
    await assertMirror(src, rep)
    assert.equal(await readlink(join(rep, 'link-to-dir')), 'docs')
    assert.ok((await lstat(join(rep, 'link-to-dir'))).isSymbolicLink(), 'a link to a directory was followed')
    assert.equal(await readlink(join(rep, 'dangling')), 'does/not/exist')
    assert.equal(await readlink(join(rep, 'retarget')), 'docs/a.txt')

    const again = await ws.cli(['plan', src, rep])
    assert.equal(again.code, 0, again.stderr)
    assert.match(lastLine(again.stdout), /^No changes\./)
    assert.deepEqual(operationLines(again.stdout), [])
  })

  test('plan changes nothing on disk, in text and JSON form', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const before = {src: await snapshotTree(src), rep: await snapshotTree(rep)}
    for (const extra of [[], ['--json'], ['--compare', 'size-mtime']]) {
      const result = await ws.cli(['plan', src, rep, ...extra])
      assert.equal(result.code, 0, result.stderr)
    }
    assert.deepEqual(await snapshotTree(src), before.src)
    assert.deepEqual(await snapshotTree(rep), before.rep)
  })

  test('plan against a missing replica lists everything as created and does not create the replica', async (t) => {
    const {ws, src} = await scenario(t)
    const rep = join(ws.dir, 'not-yet')
    const before = await snapshotTree(src)
    const result = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const plan = parseJson(result.stdout) as PlanJson
    assert.ok(plan.operations.length > 0)
    assert.ok(
      plan.operations.every((o) => o.op === 'create' || o.op === 'mkdir'),
      `unexpected operations: ${plan.operations.map((o) => o.op).join(', ')}`,
    )
    assert.equal(await exists(rep), false, 'plan created the replica')
    assert.deepEqual(await snapshotTree(src), before)
  })

  test('apply creates a missing replica and mirrors into it', async (t) => {
    const {ws, src} = await scenario(t)
    const rep = join(ws.dir, 'not-yet')
    const result = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(result.code, 0, result.stderr)
    await assertMirror(src, rep)
  })

  test('apply --json prints one document with the applied operations and no failures', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const result = await ws.cli(['apply', src, rep, '--auto-approve', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const out = parseJson(result.stdout) as ApplyJson
    assert.deepEqual(out.failed, [])
    assert.deepEqual(out.applied.map((o) => `${o.op} ${o.path}`).sort(), EXPECTED_OPERATIONS.map((l) => l.split(' ').slice(0, 2).join(' ')).sort())
    assert.equal(out.summary.rename, 1)
    await assertMirror(src, rep)
  })
})

describe('entry kinds', () => {
  test('type changes between file, directory and symlink become a removal then a creation', async (t) => {
    const {ws, src, rep} = await cliTrees(t, [
      {path: 'f2d/inner.txt', type: 'file', content: 'now a dir'},
      {path: 'd2f', type: 'file', content: 'now a file'},
      {path: 'f2l', type: 'symlink', target: 'd2f'},
      {path: 'l2f', type: 'file', content: 'was a link'},
      {path: 'd2l', type: 'symlink', target: 'f2d'},
      {path: 'l2d/in.txt', type: 'file', content: 'inside the source'},
      {path: 'same.txt', type: 'file', content: 'kept, so the replica is not wholly replaced'},
    ], [
      {path: 'f2d', type: 'file', content: 'was a file'},
      {path: 'd2f/old.txt', type: 'file', content: 'old'},
      {path: 'f2l', type: 'file', content: 'was a file'},
      {path: 'l2f', type: 'symlink', target: 'elsewhere'},
      {path: 'd2l/deep/z.txt', type: 'file', content: 'z'},
      {path: 'l2d', type: 'symlink', target: '../outside'},
      {path: 'same.txt', type: 'file', content: 'kept, so the replica is not wholly replaced'},
    ])
    const outside = join(ws.dir, 'outside')
    await buildTree(outside, [{path: 'in.txt', type: 'file', content: 'outside, must not change'}])
    const outsideBefore = await snapshotTree(outside)

    const planned = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(planned.code, 0, planned.stderr)
    const plan = parseJson(planned.stdout) as PlanJson
    for (const path of ['f2d', 'd2f', 'f2l', 'l2f', 'd2l', 'l2d']) {
      const removal = plan.operations.findIndex((o) => (o.op === 'delete' || o.op === 'rmdir') && o.path === path)
      const creation = plan.operations.findIndex((o) => (o.op === 'create' || o.op === 'mkdir') && o.path === path)
      assert.ok(removal >= 0 && creation >= 0, `${path}: expected a removal and a creation`)
      assert.ok(removal < creation, `${path}: created before it is removed`)
      assert.equal(plan.operations[creation]!.reason, 'type', `${path}: reason of the creation`)
    }
    assert.ok(plan.operations.some((o) => o.op === 'delete' && o.path === 'd2l/deep/z.txt'), 'entries under a replaced dir are listed')
    assertApplicableOrder(plan)

    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)
    await assertMirror(src, rep)
    assert.deepEqual(await snapshotTree(outside), outsideBefore, 'apply wrote through a symlink in the replica')
  })

  test('symlinks are copied as their target text and never followed', async (t) => {
    const ws = await workspace(t)
    const src = join(ws.dir, 'src')
    const rep = join(ws.dir, 'rep')
    await buildTree(join(ws.dir, 'elsewhere'), [{path: 'big/secret.txt', type: 'file', content: 'not part of the source'}])
    await buildTree(src, [
      {path: 'dir/file.txt', type: 'file', content: 'f'},
      {path: 'to-dir', type: 'symlink', target: 'dir'},
      {path: 'to-outside-dir', type: 'symlink', target: '../elsewhere/big'},
      {path: 'absolute', type: 'symlink', target: join(ws.dir, 'elsewhere')},
      {path: 'dangling', type: 'symlink', target: 'nothing/here'},
      {path: 'dir/up', type: 'symlink', target: '..'},
    ])
    const result = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(result.code, 0, result.stderr)
    await assertMirror(src, rep)
    const links = (await snapshotTree(rep)).filter((e) => e.type === 'symlink')
    assert.deepEqual(
      links.map((e) => [e.path, e.target]),
      [
        ['absolute', join(ws.dir, 'elsewhere')],
        ['dangling', 'nothing/here'],
        ['dir/up', '..'],
        ['to-dir', 'dir'],
        ['to-outside-dir', '../elsewhere/big'],
      ],
    )
  })

  test('a FIFO in the source is skipped with a warning naming it, and the rest is mirrored', async (t) => {
    const {ws, src, rep} = await cliTrees(t, [{path: 'sub/file.txt', type: 'file', content: 'f'}])
    execFileSync('mkfifo', [join(src, 'sub', 'pipe')])
    await setTime(join(src, 'sub'), T0)

    const planned = await ws.cli(['plan', src, rep])
    assert.equal(planned.code, 0, planned.stderr)
    assert.match(planned.stderr, /sub\/pipe/)
    assert.ok(!operationLines(planned.stdout).some((l) => l.includes('pipe')), planned.stdout)
    const plannedJson = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(plannedJson.code, 0, plannedJson.stderr)
    assert.ok(!(parseJson(plannedJson.stdout) as PlanJson).operations.some((o) => o.path === 'sub/pipe'), 'the FIFO is planned')

    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.ok(applied.code === 0 || applied.code === 1, `exit ${applied.code}: ${applied.stderr}`)
    assert.match(applied.stderr, /sub\/pipe/)
    assert.equal(await exists(join(rep, 'sub', 'pipe')), false)
    const source = (await snapshotTree(src)).filter((e) => e.type !== 'other')
    assert.deepEqual(await snapshotTree(rep), source)
  })

  test('empty directories are created and removed, with their modes and mtimes', async (t) => {
    const {ws, src, rep} = await cliTrees(t, [
      {path: 'a/b/c', type: 'dir', mode: 0o700, mtimeMs: T0 - 1000},
      {path: 'lonely', type: 'dir', mtimeMs: T0 - 2000},
    ], [
      {path: 'x/y/z', type: 'dir'},
      {path: 'lonely', type: 'dir', mtimeMs: T0},
    ])
    const planned = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(planned.code, 0, planned.stderr)
    assert.deepEqual(
      (parseJson(planned.stdout) as PlanJson).operations.map((o) => `${o.op} ${o.path}`).sort(),
      ['meta lonely', 'mkdir a', 'mkdir a/b', 'mkdir a/b/c', 'rmdir x', 'rmdir x/y', 'rmdir x/y/z'],
    )
    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)
    await assertMirror(src, rep)
  })

  test('unicode names in NFC and NFD are different entries, and spaces in names work', async (t) => {
    const nfc = 'caf\u00e9.txt'
    const nfd = 'cafe\u0301.txt'
    const {ws, src, rep} = await cliTrees(t, [
      {path: nfc, type: 'file', content: 'composed'},
      {path: nfd, type: 'file', content: 'decomposed'},
      {path: 'dir with spaces/file name.txt', type: 'file', content: 'spaces'},
      {path: '日本語/ファイル.txt', type: 'file', content: 'kanji'},
      {path: 'na\u00efve', type: 'file', content: 'naive'},
    ], [
      {path: 'nai\u0308ve', type: 'file', content: 'naive'},
      {path: ' leading space', type: 'file', content: 'extra'},
    ])
    const planned = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(planned.code, 0, planned.stderr)
    const ops = (parseJson(planned.stdout) as PlanJson).operations
    const names = (op: string): string[] => ops.filter((o) => o.op === op).map((o) => o.path).sort()
    // The NFD replica file is not the NFC source file: it is not an update, but may be a rename.
    assert.ok(!ops.some((o) => o.op === 'update' || o.op === 'meta'), 'an NFD name was matched to an NFC one')
    assert.ok(names('create').includes(nfc) && names('create').includes(nfd), `creates: ${names('create').join(', ')}`)
    assert.ok(names('create').includes('dir with spaces/file name.txt'))
    assert.ok(names('delete').includes(' leading space'))
    const naiveNFC = ops.find((o) => o.path === 'na\u00efve')
    assert.ok(naiveNFC && (naiveNFC.op === 'create' || (naiveNFC.op === 'rename' && naiveNFC.from === 'nai\u0308ve')), 'NFC name planned')

    const applied = await ws.cli(['apply', src, rep, '--auto-approve'])
    assert.equal(applied.code, 0, applied.stderr)
    await assertMirror(src, rep)
    assert.equal(await readFile(join(rep, nfd), 'utf8'), 'decomposed')
    assert.equal(await readFile(join(rep, nfc), 'utf8'), 'composed')
    const again = await ws.cli(['plan', src, rep])
    assert.equal(again.code, 0, again.stderr)
    assert.match(lastLine(again.stdout), /^No changes\./)
  })
})

describe('flags', () => {
  test('--compare size-mtime decides by size and mtime alone, without hashing', async (t) => {
    const {ws, src, rep} = await cliTrees(t, [
      {path: 'disguised.txt', type: 'file', content: 'AAAA', mtimeMs: T0},
      {path: 'touched.txt', type: 'file', content: 'CCCC', mtimeMs: T0},
      {path: 'new.txt', type: 'file', content: 'new'},
    ], [
      {path: 'disguised.txt', type: 'file', content: 'BBBB', mtimeMs: T0},
      {path: 'touched.txt', type: 'file', content: 'DDDD', mtimeMs: T0 - 1000},
    ])

    const byHash = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(byHash.code, 0, byHash.stderr)
    assert.deepEqual(
      (parseJson(byHash.stdout) as PlanJson).operations.map((o) => `${o.op} ${o.path}`).sort(),
      ['create new.txt', 'update disguised.txt', 'update touched.txt'],
    )

    const bySize = await ws.cli(['plan', src, rep, '--json', '--compare', 'size-mtime'])
    assert.equal(bySize.code, 0, bySize.stderr)
    const plan = parseJson(bySize.stdout) as PlanJson
    assert.deepEqual(plan.operations.map((o) => `${o.op} ${o.path}`).sort(), ['create new.txt', 'update touched.txt'])
    for (const o of plan.operations) {
      assert.equal(o.size, o.path === 'new.txt' ? 3 : 4)
      assert.equal(o.md5, undefined, `${o.path} carries an md5 under size-mtime`)
    }

    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--compare', 'size-mtime'])
    assert.equal(applied.code, 0, applied.stderr)
    assert.equal(await readFile(join(rep, 'disguised.txt'), 'utf8'), 'BBBB', 'size-mtime copied a file of equal size and mtime')
    assert.equal(await readFile(join(rep, 'touched.txt'), 'utf8'), 'CCCC')
    assert.equal(await readFile(join(rep, 'new.txt'), 'utf8'), 'new')
    const again = await ws.cli(['plan', src, rep, '--compare', 'size-mtime'])
    assert.equal(again.code, 0, again.stderr)
    assert.match(lastLine(again.stdout), /^No changes\./)
  })

  test('apply --concurrency 1 mirrors random trees exactly', async (t) => {
    const ws = await workspace(t)
    for (const seed of [7, 42, 1234]) {
      const random = seededRandom(seed)
      const src = join(ws.dir, `src-${seed}`)
      const rep = join(ws.dir, `rep-${seed}`)
      // A common file keeps apply's delete-everything guard out of the way.
      const anchor: EntrySpec = {path: 'anchor', type: 'file', content: 'in both trees'}
      await buildTree(src, [anchor, ...randomTree(random, 40)])
      await buildTree(rep, [anchor, ...randomTree(random, 40)])
      const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--concurrency', '1'])
      assert.equal(applied.code, 0, `seed ${seed}: ${applied.stderr}`)
      await assertMirror(src, rep, `seed ${seed}`)
      const again = await ws.cli(['plan', src, rep, '--concurrency', '1'])
      assert.equal(again.code, 0, again.stderr)
      assert.match(lastLine(again.stdout), /^No changes\./, `seed ${seed}`)
    }
  })
})
