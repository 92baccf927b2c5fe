import assert from 'node:assert/strict'
import {readFile, realpath, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, test} from 'node:test'

import {prepareDemo} from '../../scripts/demo.js'
import {hasStackTrace, runCli, UNREACHABLE_S3_ENV} from '../helpers/cli.js'
import {tempDir} from '../helpers/temp-dir.js'
import {assertMirror, snapshotTree} from '../helpers/tree-snapshot.js'
import {savedPlanScene} from './fixture.js'

/** A plan of the demo trees written by treesync 0.1 (format version 1), its roots under this folder. */
const V1_FIXTURE = fileURLToPath(new URL('../../../fixtures/plans/demo-v1.plan.json', import.meta.url))
const V1_ROOTS = '/srv/treesync-demo/'

/** The demo trees in a temp dir, and the version 1 fixture pointed at them. */
async function versionOneScene(t: Parameters<typeof tempDir>[0]) {
  const root = await realpath(await tempDir(t))
  const {source, replica} = await prepareDemo(join(root, 'demo'))
  const planFile = join(root, 'v1.plan.json')
  await writeFile(planFile, (await readFile(V1_FIXTURE, 'utf8')).replaceAll(V1_ROOTS, `${root}/demo/`))
  return {source, replica, planFile}
}

describe('a version 1 plan file (treesync 0.1) still shows and applies', () => {
  test('show renders it as plan renders the same trees today', async (t) => {
    const s = await versionOneScene(t)
    const shown = await runCli(['show', s.planFile])
    assert.equal(shown.code, 0, shown.stderr)
    const planned = await runCli(['plan', s.source, s.replica])
    assert.equal(shown.stdout, planned.stdout)
  })

  test('show --json prints it as a version 2 document: same operations, entry counts as `entries`', async (t) => {
    const s = await versionOneScene(t)
    const v1 = JSON.parse(await readFile(s.planFile, 'utf8'))
    const shown = await runCli(['show', s.planFile, '--json'])
    assert.equal(shown.code, 0, shown.stderr)
    const v2 = JSON.parse(shown.stdout)
    assert.equal(v2.version, 2)
    assert.deepEqual(v2.operations, v1.operations)
    assert.deepEqual(v2.entries, {source: v1.sourceEntries, replica: v1.replicaEntries})
    assert.equal(v2.replicaEntries, undefined)
  })

  test('apply applies it exactly: an exact mirror, and the next plan has no changes', async (t) => {
    const s = await versionOneScene(t)
    const applied = await runCli(['apply', s.planFile])
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /Apply complete! 15 operations applied/)
    await assertMirror(s.source, s.replica)
    assert.match((await runCli(['plan', s.source, s.replica])).stdout, /^No changes\./m)
  })
})

describe('a version 2 plan file', () => {
  test('plan --out writes version 2 with entry counts; show --json prints the file back', async (t) => {
    const s = await savedPlanScene(t)
    assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
    const saved = JSON.parse(await readFile(s.planFile, 'utf8'))
    assert.equal(saved.version, 2)
    assert.deepEqual(saved.entries, {source: 6, replica: 6})
    assert.ok(!('replicaEntries' in saved) && !('sourceEntries' in saved))
    const planJson = JSON.parse((await runCli(['plan', s.source, s.replica, '--json'])).stdout)
    assert.deepEqual(Object.keys(planJson), Object.keys(saved))
    assert.deepEqual(JSON.parse((await runCli(['show', s.planFile, '--json'])).stdout), saved)
  })

  const remotes: Array<[string, string, RegExp]> = [
    // Port 9 (discard) on loopback: nothing listens, so the refusal is immediate and needs no DNS.
    ['replica', 'sftp://backup@127.0.0.1:9/volume1/photos', /^Error: cannot connect to backup@127\.0\.0\.1:9: connection refused$/],
    ['replica', 's3://photos/2024', /^Error: bucket photos at http:\/\/127\.0\.0\.1:9: cannot reach the endpoint \(connection refused\)$/],
    ['source', 'sftp://backup@127.0.0.1:9/~/photos', /^Error: cannot connect to backup@127\.0\.0\.1:9: connection refused$/],
  ]
  for (const [side, root, message] of remotes) {
    test(`apply refuses one naming a ${side} ${root} out of reach, with one line and nothing touched`, async (t) => {
      const s = await savedPlanScene(t)
      assert.equal((await runCli(['plan', s.source, s.replica, '--out', s.planFile])).code, 0)
      const plan = JSON.parse(await readFile(s.planFile, 'utf8'))
      plan[side] = root
      await writeFile(s.planFile, JSON.stringify(plan))
      const before = await snapshotTree(s.root)
      const applied = await runCli(['apply', s.planFile], {cwd: s.root, env: UNREACHABLE_S3_ENV})
      assert.equal(applied.code, 1)
      assert.equal(applied.stdout, '')
      assert.match(applied.stderr.trimEnd(), message)
      assert.equal(applied.stderr.trim().split('\n').length, 1)
      assert.ok(!hasStackTrace(applied.stderr))
      assert.deepEqual(await snapshotTree(s.root), before, 'nothing created or changed, no local folder named after the root')
      const shown = await runCli(['show', s.planFile])
      assert.equal(shown.code, 0, shown.stderr)
      assert.ok(shown.stdout.includes(root), 'show names the root as the plan does')
    })
  }
})
