import assert from 'node:assert/strict'
import {readFile, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test, type TestContext} from 'node:test'

import {FIXED_MTIME_MS} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {cliTrees, lastLine, lines, LOG_LINE, logMessage, parseJson, type PlanJson} from './support.js'

/** A source and replica needing every kind of operation; no names with spaces, so messages split on words. */
async function scenario(t: TestContext) {
  return cliTrees(t, [
    {path: 'docs/a.txt', type: 'file', content: 'a'},
    {path: 'empty', type: 'dir'},
    {path: 'b.txt', type: 'file', content: 'new b'},
    {path: 'c.txt', type: 'file', content: 'c', mtimeMs: FIXED_MTIME_MS},
    {path: 'moved.txt', type: 'file', content: 'moved, unchanged'},
    {path: 'link', type: 'symlink', target: 'docs/a.txt'},
  ], [
    {path: 'b.txt', type: 'file', content: 'old'},
    {path: 'c.txt', type: 'file', content: 'c', mtimeMs: FIXED_MTIME_MS - 1000},
    {path: 'old/moved.txt', type: 'file', content: 'moved, unchanged'},
    {path: 'stale.txt', type: 'file', content: 'stale'},
  ])
}

/**
 * Lines about one operation: the message starts with `<op> <path>` (a rename names its
 * destination after the source: `rename <from> -> <path>`).
 */
function opLines(logLines: readonly string[], op: string, path: string): string[] {
  return logLines.filter((l) => {
    const words = logMessage(l).split(' ')
    return words[0] === op && (op === 'rename' ? words.slice(1).includes(path) : words[1] === path)
  })
}

describe('--log-file', () => {
  test('every line is "<ISO timestamp> <LEVEL> <message>" and each applied operation has one line', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const log = join(ws.dir, 'sync.log')
    const planned = await ws.cli(['plan', src, rep, '--json'])
    assert.equal(planned.code, 0, planned.stderr)
    const plan = parseJson(planned.stdout) as PlanJson
    assert.deepEqual([...new Set(plan.operations.map((o) => o.op))].sort(), ['create', 'delete', 'meta', 'mkdir', 'rename', 'rmdir', 'update'])

    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(applied.code, 0, applied.stderr)
    const logLines = lines(await readFile(log, 'utf8'))
    assert.ok(logLines.length > 0)
    for (const line of logLines) assert.match(line, LOG_LINE)
    for (const o of plan.operations) {
      assert.equal(opLines(logLines, o.op, o.path).length, 1, `${o.op} ${o.path}: expected one line in\n${logLines.join('\n')}`)
    }
    const rename = opLines(logLines, 'rename', 'moved.txt')[0]!
    assert.ok(rename.includes('old/moved.txt'), `the rename line names where it moved from: ${rename}`)
  })

  test('apply writes the same operation lines to stderr as to the log file', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const log = join(ws.dir, 'sync.log')
    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(applied.code, 0, applied.stderr)
    const ops = ['mkdir', 'create', 'update', 'meta', 'rename', 'delete', 'rmdir']
    const opMessages = (text: string): string[] =>
      lines(text)
        .filter((l) => LOG_LINE.test(l))
        .map(logMessage)
        .filter((m) => ops.includes(m.split(' ')[0]!))
        .sort()
    const fromFile = opMessages(await readFile(log, 'utf8'))
    assert.ok(fromFile.length >= 8, `too few operation lines: ${fromFile.join('\n')}`)
    assert.deepEqual(opMessages(applied.stderr), fromFile)
    assert.ok(!lines(applied.stdout).some((l) => LOG_LINE.test(l)), 'log lines leaked to stdout')
  })

  test('the log file is appended to across runs, never truncated', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const log = join(ws.dir, 'sync.log')
    const earlier = '2020-01-01T00:00:00.000Z INFO a line from an earlier run\n'
    await writeFile(log, earlier)

    const planned = await ws.cli(['plan', src, rep, '--log-file', log])
    assert.equal(planned.code, 0, planned.stderr)
    const afterPlan = await readFile(log, 'utf8')
    assert.ok(afterPlan.startsWith(earlier), 'plan truncated the log file')

    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(applied.code, 0, applied.stderr)
    const afterApply = await readFile(log, 'utf8')
    assert.ok(afterApply.startsWith(afterPlan), 'apply truncated the log file')
    assert.ok(lines(afterApply).length > lines(afterPlan).length, 'apply wrote nothing to the log file')
    for (const line of lines(afterApply)) assert.match(line, LOG_LINE)
  })

  test('a log file inside the replica is neither deleted nor listed', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const log = join(rep, 'sync.log')
    await writeFile(log, '2020-01-01T00:00:00.000Z INFO kept\n')

    const planned = await ws.cli(['plan', src, rep, '--json', '--log-file', log])
    assert.equal(planned.code, 0, planned.stderr)
    const plan = parseJson(planned.stdout) as PlanJson
    assert.ok(!plan.operations.some((o) => o.path === 'sync.log'), 'the log file is in the plan')

    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(applied.code, 0, applied.stderr)
    const content = await readFile(log, 'utf8')
    assert.ok(content.startsWith('2020-01-01T00:00:00.000Z INFO kept\n'), 'the log file was replaced')
    assert.ok(lines(content).length > 1)
    const replica = (await snapshotTree(rep)).filter((e) => e.path !== 'sync.log')
    assert.deepEqual(replica, await snapshotTree(src))

    const again = await ws.cli(['plan', src, rep, '--log-file', log])
    assert.equal(again.code, 0, again.stderr)
    assert.match(lastLine(again.stdout), /^No changes\./)
  })

  test('a log file inside the source is not copied to the replica', async (t) => {
    const {ws, src, rep} = await scenario(t)
    const log = join(src, 'sync.log')
    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(applied.code, 0, applied.stderr)
    assert.ok(lines(await readFile(log, 'utf8')).length > 0, 'nothing was logged')
    const source = (await snapshotTree(src)).filter((e) => e.path !== 'sync.log')
    assert.deepEqual(await snapshotTree(rep), source)

    const again = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /No changes\./, 'the growing log file was synced on the second run')
  })

  test('a log file named through a symlinked path into the replica is still excluded', async (t) => {
    const {ws, src, rep} = await scenario(t)
    await symlink('rep', join(ws.dir, 'rep-alias'))
    const log = join(ws.dir, 'rep-alias', 'sync.log')
    const applied = await ws.cli(['apply', src, rep, '--auto-approve', '--log-file', log])
    assert.equal(applied.code, 0, applied.stderr)
    assert.ok(lines(await readFile(join(rep, 'sync.log'), 'utf8')).length > 0)
    const replica = (await snapshotTree(rep)).filter((e) => e.path !== 'sync.log')
    assert.deepEqual(replica, await snapshotTree(src))
  })
})
