import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {differingTrees, runOnTerminal} from './support.js'

const PROMPT = /Only "yes" will be accepted/

const differing = differingTrees

describe('confirmation on a terminal', () => {
  test('answering yes applies the plan and exits 0', async (t) => {
    const {ws, src, rep} = await differing(t)
    const result = await runOnTerminal(['apply', src, rep], 'yes\n', {env: ws.env})
    assert.equal(result.code, 0, result.output)
    assert.match(result.output, PROMPT)
    assert.match(result.output, /Plan: [^\n]*\n[\s\S]*Only "yes"/, 'the plan is shown before the prompt')
    await assertMirror(src, rep)
  })

  for (const answer of ['no', 'y', 'YES', '']) {
    test(`answering ${JSON.stringify(answer)} exits 1 and leaves the replica unchanged`, async (t) => {
      const {ws, src, rep} = await differing(t)
      const before = await snapshotTree(ws.dir)
      const result = await runOnTerminal(['apply', src, rep], `${answer}\n`, {env: ws.env})
      assert.equal(result.code, 1, result.output)
      assert.match(result.output, PROMPT)
      assert.deepEqual(await snapshotTree(ws.dir), before)
    })
  }

  test('--auto-approve does not ask on a terminal', async (t) => {
    const {ws, src, rep} = await differing(t)
    const result = await runOnTerminal(['apply', src, rep, '--auto-approve'], '', {env: ws.env})
    assert.equal(result.code, 0, result.output)
    assert.doesNotMatch(result.output, PROMPT)
    await assertMirror(src, rep)
  })

  test('with NO_COLOR set, nothing on the terminal is coloured', async (t) => {
    const {ws, src, rep} = await differing(t)
    const result = await runOnTerminal(['apply', src, rep], 'no\n', {env: {...ws.env, NO_COLOR: '1'}})
    assert.equal(result.code, 1, result.output)
    // SGR sequences (ESC [ … m) set colours and styles; cursor movement is fine.
    const sgr = result.output.match(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')) ?? []
    assert.deepEqual(sgr, [], `colour codes on the terminal: ${JSON.stringify(result.output.slice(0, 300))}`)
  })

  test('a terminal that reports zero columns does not hang plan', async (t) => {
    // `script` reading from a pipe, like many CI runners and `docker run -t`, gives a 0x0 terminal.
    const {ws, src, rep} = await differing(t)
    const result = await runOnTerminal(['plan', src, rep], '', {env: ws.env, size: {cols: 0, rows: 0}, timeoutMs: 8000})
    assert.equal(result.code, 0, `exit ${result.code}; output starts: ${JSON.stringify(result.output.slice(0, 300))}`)
    assert.match(result.output, /Plan: /)
  })
})
