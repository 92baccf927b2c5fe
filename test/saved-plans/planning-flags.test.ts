import assert from 'node:assert/strict'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {hasStackTrace, runCli} from '../helpers/cli.js'
import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {savedPlanScene} from './fixture.js'

describe('apply PLANFILE refuses flags that would change what the plan does', () => {
  const refused: Array<[string, (root: string) => Promise<string[]>]> = [
    ['--exclude', async () => ['--exclude', 'stale/junk.log']],
    ['--exclude-from', async (root) => (await writeFile(join(root, 'x.txt'), 'stale/\n'), ['--exclude-from', join(root, 'x.txt')])],
    ['--compare', async () => ['--compare', 'size-mtime']],
    ['--compare', async () => ['--compare', 'md5']], // even the default: the user asked for something a saved plan cannot do
    ['--modify-window', async () => ['--modify-window', '2']],
  ]
  for (const [flag, extra] of refused) {
    test(`${flag}: exit 1 naming it, nothing applied`, async (t) => {
      const s = await savedPlanScene(t)
      assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
      const args = await extra(s.root)
      const before = await snapshotTree(s.replica)

      const applied = await runCli(['apply', s.planFile, ...args, '--auto-approve'])
      assert.equal(applied.code, 1, applied.stderr)
      assert.equal(applied.stderr, `Error: ${flag} cannot be used with a saved plan: ${reasonOf(flag)} (pass it to plan, then apply the new plan)\n`)
      assert.ok(!hasStackTrace(applied.stderr))
      assert.equal(applied.stdout, '')
      assert.deepEqual(await snapshotTree(s.replica), before, 'the replica changed')
      assert.equal(await readFile(join(s.replica, 'stale/junk.log'), 'utf8'), 'junk')

      const json = await runCli(['apply', s.planFile, ...args, '--json'])
      assert.equal(json.code, 1)
      assert.match(JSON.parse(json.stdout).error.message, new RegExp(`^${flag} cannot be used with a saved plan`))
    })
  }

  test('flags that only restrict or record the apply are honoured (--log-file, --max-delete, --concurrency, --backup-dir), cache flags accepted', async (t) => {
    const s = await savedPlanScene(t)
    assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
    const log = join(s.root, 'apply.log')

    const tooMany = await runCli(['apply', s.planFile, '--max-delete', '0'])
    assert.equal(tooMany.code, 1, 'the guard is checked against the saved plan')
    assert.equal(await readFile(join(s.replica, 'stale/junk.log'), 'utf8'), 'junk')

    const applied = await runCli(['apply', s.planFile, '--log-file', log, '--concurrency', '2', '--backup-dir', join(s.root, 'backup'), '--no-cache', '--cache-dir', join(s.root, 'cache')])
    assert.equal(applied.code, 0, applied.stderr)
    await assertMirror(s.source, s.replica)
    assert.match(await readFile(log, 'utf8'), / INFO .*stale\/junk\.log/)
    assert.equal(await readFile(join(s.root, 'backup/stale/junk.log'), 'utf8'), 'junk')
  })

  test('with SOURCE and REPLICA the same flags still work', async (t) => {
    const s = await savedPlanScene(t)
    const applied = await runCli(['apply', s.source, s.replica, '--auto-approve', '--exclude', 'stale/', '--compare', 'size-mtime', '--no-cache'])
    assert.equal(applied.code, 0, applied.stderr)
    assert.equal(await readFile(join(s.replica, 'stale/junk.log'), 'utf8'), 'junk')
  })
})

function reasonOf(flag: string): string {
  return flag === '--compare' || flag === '--modify-window' ? 'the plan already decided how files are compared' : 'the plan already decides what is synced'
}
