import assert from 'node:assert/strict'
import {readFile, truncate} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test, type TestContext} from 'node:test'

import {startOnTerminal} from '../helpers/terminal.js'
import {snapshotTree, type SnapshotEntry} from '../helpers/tree-snapshot.js'
import type {EntrySpec} from '../helpers/tree-builder.js'
import {cliTrees} from './support.js'

const CTRL_C = '\x03'
const CTRL_D = '\x04'

/** A sparse 2 GiB image: nothing on disk, but hashing it keeps the spinner up for seconds. */
const SPARSE_BYTES = 2 * 1024 ** 3

function hashHeavySource(): EntrySpec[] {
  return [
    {path: 'precious-src.txt', type: 'file', content: 'keep'},
    {path: 'disk.img', type: 'file', content: ''},
  ]
}

/** Many files in folders with their own modes: copying them takes a while, one at a time. */
function copyHeavySource(): EntrySpec[] {
  const specs: EntrySpec[] = []
  for (let d = 0; d < 12; d++) {
    specs.push({path: `d${d}`, type: 'dir', mode: 0o750})
    for (let f = 0; f < 100; f++) specs.push({path: `d${d}/f${f}.txt`, type: 'file', content: `file ${d}/${f}\n`.repeat(50)})
  }
  return specs
}

const STALE_REPLICA: EntrySpec[] = [{path: 'precious.txt', type: 'file', content: 'only in the replica'}]

/** A replica entry left by an interrupted apply: each is old or new, never a temporary or a 0700 folder. */
function assertConsistent(replica: SnapshotEntry[], source: SnapshotEntry[]): void {
  const bySource = new Map(source.map((e) => [e.path, e]))
  for (const entry of replica) {
    assert.doesNotMatch(entry.path, /\.treesync-/, `a temporary was left behind: ${entry.path}`)
    if (entry.path === 'precious.txt') continue
    const want = bySource.get(entry.path)
    assert.ok(want, `unexpected entry ${entry.path}`)
    if (entry.type === 'dir') assert.equal(entry.mode, want.mode, `${entry.path} was left at mode ${entry.mode?.toString(8)}`)
    else assert.deepEqual(entry, want, `${entry.path} is not the source's file`)
  }
}

async function interruptDuringScan(t: TestContext, command: 'plan' | 'apply'): Promise<void> {
  const {ws, src, rep} = await cliTrees(t, hashHeavySource(), STALE_REPLICA)
  await truncate(join(src, 'disk.img'), SPARSE_BYTES)
  const before = await snapshotTree(rep)
  const args = command === 'apply' ? ['apply', src, rep, '--auto-approve', '--no-cache'] : ['plan', src, rep, '--no-cache']
  const cli = await startOnTerminal(args, {env: ws.env})
  // The spinner shows the scan; the sparse image then takes seconds to hash.
  await cli.waitFor(/Scanning source… \d+ entries/)
  await new Promise((resolve) => setTimeout(resolve, 300))
  cli.type(CTRL_C)
  const result = await cli.done
  assert.equal(result.code, 130, result.output)
  assert.match(result.output, /stopped by SIGINT before anything was changed/)
  assert.deepEqual(await snapshotTree(rep), before, 'nothing changed')
}

describe('interrupts on a terminal', () => {
  test('Ctrl-C while apply scans and hashes (the spinner is showing) stops it with nothing changed, exit 130', (t) => interruptDuringScan(t, 'apply'))

  test('Ctrl-C while plan scans and hashes stops it, exit 130', (t) => interruptDuringScan(t, 'plan'))

  /** Types `key` at apply's prompt; returns how apply ended, once the replica is checked unchanged. */
  async function keyAtPrompt(t: TestContext, key: string): Promise<{code: number | null; output: string}> {
    const {ws, src, rep} = await cliTrees(t, [{path: 'a.txt', type: 'file', content: 'a'}], STALE_REPLICA)
    const before = await snapshotTree(ws.dir)
    const cli = await startOnTerminal(['apply', src, rep], {env: ws.env})
    await cli.waitFor(/Enter a value:/)
    cli.type(key)
    const result = await cli.done
    assert.doesNotMatch(result.output, /internal error/)
    assert.deepEqual(await snapshotTree(ws.dir), before)
    return result
  }

  test('Ctrl-C at the prompt stops apply with nothing changed, exit 130 and no internal error', async (t) => {
    const result = await keyAtPrompt(t, CTRL_C)
    assert.equal(result.code, 130, result.output)
  })

  test('Ctrl-D at the prompt cancels apply, exit 1 and no internal error', async (t) => {
    const result = await keyAtPrompt(t, CTRL_D)
    assert.equal(result.code, 1, result.output)
    assert.match(result.output, /apply cancelled: no answer was given/)
  })

  for (const [how, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 143],
  ] as const) {
    test(`${how} during the copy: operations in progress finish, nothing more starts, a line counts them, exit ${code}`, async (t) => {
      const {ws, src, rep} = await cliTrees(t, copyHeavySource(), STALE_REPLICA)
      const log = join(ws.dir, 'sync.log')
      const cli = await startOnTerminal(['apply', src, rep, '--auto-approve', '--allow-delete-all', '--concurrency', '1', '--log-file', log], {env: ws.env})
      await cli.waitFor(/INFO create d\d+\/f/)
      if (how === 'SIGINT') cli.type(CTRL_C)
      else await cli.signal(how)
      const result = await cli.done
      assert.equal(result.code, code, result.output.slice(-2000))
      const line = new RegExp(`apply stopped by ${how}: (\\d+) of (\\d+) operations done, (\\d+) not done`)
      const logged = (await readFile(log, 'utf8')).match(line)
      assert.ok(logged, 'the log has the line')
      assert.match(result.output, line)
      assert.ok(Number(logged[3]) > 0, 'some operations were not done')
      assert.doesNotMatch(result.output, /Apply complete!/)
      const replica = await snapshotTree(rep)
      assertConsistent(replica, await snapshotTree(src))
      assert.ok(replica.some((e) => e.path === 'precious.txt'), 'the deletion, planned last, did not start')
      assert.equal(replica.length, Number(logged[1]) + 1, 'the replica holds what was done')
    })
  }

  test('closing the terminal mid-copy (SIGHUP, then EIO on every write) still stops apply cleanly and logs it', async (t) => {
    const {ws, src, rep} = await cliTrees(t, copyHeavySource(), STALE_REPLICA)
    const log = join(ws.dir, 'sync.log')
    const cli = await startOnTerminal(['apply', src, rep, '--auto-approve', '--concurrency', '1', '--log-file', log], {env: ws.env})
    await cli.waitFor(/INFO create d\d+\/f/)
    cli.closeTerminal()
    await cli.done
    const line = /apply stopped by SIGHUP: (\d+) of (\d+) operations done, (\d+) not done/
    let logged: RegExpMatchArray | null = null
    for (let i = 0; i < 100 && !logged; i++) {
      logged = (await readFile(log, 'utf8')).match(line)
      if (!logged) await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(logged, 'the log has the closing line')
    assertConsistent(await snapshotTree(rep), await snapshotTree(src))
  })

  test('a second Ctrl-C stops at once', async (t) => {
    const {ws, src, rep} = await cliTrees(t, copyHeavySource(), STALE_REPLICA)
    const cli = await startOnTerminal(['apply', src, rep, '--auto-approve', '--allow-delete-all', '--concurrency', '1'], {env: ws.env})
    await cli.waitFor(/INFO create d\d+\/f/)
    cli.type(CTRL_C)
    await cli.waitFor(/received SIGINT: stopping/)
    cli.type(CTRL_C)
    const result = await cli.done
    assert.equal(result.code, 130, result.output.slice(-2000))
    assert.match(result.output, /received SIGINT again: stopping at once/)
  })
})
