import assert from 'node:assert/strict'
import {readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import type {CliResult} from '../helpers/cli.js'
import {seededRandom} from '../helpers/random-tree.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {workspace, type Workspace} from '../cli/support.js'
import {randomVector, type Vector} from './fuzz-argv.js'
import {ATTACK_COUNT, attackPlan, mutatePlan, type MutatedPlan} from './fuzz-plan-mutations.js'
import {basicProblems, excerpt, isLogLine, isWarningLine, logLevel, nonEmptyLines, parseOneJson, runWatch} from './fuzz-run.js'
import {buildScene, describeChanges, inPool, planFor, SENTINEL_TEMP_NAME, snapshotOutside, type Scene} from './fuzz-scene.js'

/**
 * Fuzz tests (issue 6): mutated and random plan files fed to `apply PLANFILE` and `show`,
 * and random command lines fed to every command. For every case: exit code 0 or 1 only
 * (2 only for `plan --detailed-exitcode`), never a signal, never a stack trace or an
 * internal error, the stderr shape the contract allows, and nothing changed outside the
 * replica (the source, the sentinel beside it, the plan file). Each case gets a fresh
 * scene (so the replica is reset between cases); cases run four at a time.
 *
 * What stderr may hold, from the contract:
 * - a refusal (invalid plan, stale plan, bad input) is one `Error: …` line, the last one,
 *   and touches nothing; a stale plan may also log one ERROR line naming the path
 *   ("every failure writes an ERROR line with its path"; "the same events go to the console");
 * - a run whose operations failed prints no `Error:` line but log lines, at least one
 *   ERROR line among them (exit 1);
 * - a successful apply prints only log lines, none of them ERROR.
 */

const PLAN_SEED = 0x5eed_0a00
const PLAN_CASES = 120
const ARGV_SEED = 0x5eed_0b00
const ARGV_CASES = 100
const PARALLEL = 4

/** Makes the plan every case starts from: `plan --out` on a fresh scene. */
async function basePlan(ws: Workspace): Promise<Record<string, any>> {
  const scene = await buildScene(join(ws.dir, 'base'))
  const r = await ws.cli(['plan', scene.source, scene.replica, '--out', scene.planFile, '--cache-dir', join(scene.scratch, 'cache')], {cwd: scene.cwd})
  assert.equal(r.code, 0, `plan --out on the base scene failed:\n${r.stderr}`)
  const plan = JSON.parse(await readFile(scene.planFile, 'utf8'))
  const ops = plan.operations.map((o: any) => `${o.op} ${o.path}`)
  for (const expected of ['delete link', 'mkdir link', 'create link/inner.txt', 'rename moved-here.txt', 'rmdir gone', 'update b.txt', 'meta exec.sh']) {
    assert.ok(ops.includes(expected), `the base plan lacks "${expected}": ${ops.join(', ')}`)
  }
  return plan
}

/** Fails with every violation, grouped, so one run reports all the bugs it met. */
function assertNoViolations(violations: string[], cases: number, what: string): void {
  if (violations.length === 0) return
  const shown = violations.slice(0, 25).join('\n\n')
  assert.fail(`${violations.length} violation(s) in ${cases} ${what}:\n\n${shown}${violations.length > 25 ? `\n\n… and ${violations.length - 25} more` : ''}`)
}

function checkApply(r: CliResult, json: boolean, replicaChanged: boolean): string[] {
  const problems = basicProblems(r, [0, 1])
  const lines = nonEmptyLines(r.stderr)
  const other = lines.filter((l) => !isLogLine(l))
  const errorLogs = lines.filter((l) => logLevel(l) === 'ERROR')
  let refusal = false
  if (json) {
    const {doc, problem} = parseOneJson(r.stdout)
    if (problem) problems.push(problem)
    else if (r.code === 1) {
      refusal = doc?.error !== undefined
      if (!refusal && !(Array.isArray(doc?.failed) && (doc.failed.length > 0 || doc.skipped?.length > 0))) {
        problems.push(`--json exit 1 without an "error" member or failed operations: ${excerpt(r.stdout)}`)
      }
    }
    if (other.length > 0) problems.push(`--json: stderr has lines that are not log lines: ${excerpt(other.join('\n'))}`)
  } else if (r.code === 1) {
    refusal = other.length > 0
    if (other.length > 1) problems.push(`a refusal must be one line, stderr has ${other.length} non-log lines:\n${excerpt(r.stderr)}`)
    if (refusal && !(other[0]!.startsWith('Error: ') && lines.at(-1) === other[0])) problems.push(`the refusal is not one last "Error: …" line:\n${excerpt(r.stderr)}`)
  }
  if (r.code === 1 && refusal) {
    if (replicaChanged) problems.push('refused (exit 1 with an error message), yet the replica changed')
    const logs = lines.filter(isLogLine)
    if (logs.length > 1 || logs.some((l) => logLevel(l) !== 'ERROR')) problems.push(`a refusal logged more than one ERROR line:\n${excerpt(r.stderr)}`)
  }
  if (r.code === 1 && !refusal && errorLogs.length === 0) problems.push(`exit 1 with no error message and no ERROR log line:\n${excerpt(r.stderr)}\n${excerpt(r.stdout)}`)
  if (r.code === 0) {
    if (!json && other.length > 0) problems.push(`exit 0 but stderr has non-log lines:\n${excerpt(r.stderr)}`)
    if (errorLogs.length > 0) problems.push(`exit 0 despite ERROR lines:\n${excerpt(errorLogs.join('\n'))}`)
  }
  return problems
}

function checkShow(r: CliResult, json: boolean): string[] {
  const problems = basicProblems(r, [0, 1])
  const lines = nonEmptyLines(r.stderr)
  if (json) {
    const {doc, problem} = parseOneJson(r.stdout)
    if (problem) problems.push(problem)
    else if (r.code === 1 && doc?.error === undefined) problems.push(`refused without an "error" member: ${excerpt(r.stdout)}`)
    if (lines.length > 0) problems.push(`stderr is not empty under --json:\n${excerpt(r.stderr)}`)
  } else if (r.code === 1 && !(lines.length === 1 && lines[0]!.startsWith('Error: '))) {
    problems.push(`refused without exactly one "Error: …" line:\n${excerpt(r.stderr)}`)
  }
  if (r.code === 0 && !lines.every(isWarningLine)) problems.push(`succeeded with stderr lines that are not warnings:\n${excerpt(r.stderr)}`)
  return problems
}

type PlanOutcome = 'applied' | 'refused' | 'operations failed' | 'other'

async function planCase(ws: Workspace, root: string, base: Record<string, any>, k: number): Promise<{violations: string[]; outcome: PlanOutcome}> {
  const scene = await buildScene(join(root, `plan-case-${k}`))
  try {
    const random = seededRandom(PLAN_SEED + k)
    const plan = planFor(base, scene)
    const mutated: MutatedPlan =
      k === 0 ? {data: JSON.stringify(plan, null, 2), labels: ['unmutated plan']} : k <= ATTACK_COUNT ? attackPlan(plan, k - 1, random) : mutatePlan(plan, scene, random)
    await writeFile(scene.planFile, mutated.data)
    const label = `plan case ${k} (seed ${PLAN_SEED}+${k}: ${mutated.labels.join('; ')})`
    const problems: string[] = []
    const cacheDir = join(scene.scratch, 'cache')
    const outside = await snapshotOutside(scene)
    const replicaBefore = await snapshotTree(scene.replica)

    if (k % 4 === 0) {
      const everything = await snapshotOutside(scene, true)
      const json = k % 8 === 4
      const r = await ws.cli(['show', scene.planFile, ...(json ? ['--json'] : [])], {cwd: scene.cwd, timeoutMs: 30_000})
      problems.push(...checkShow(r, json).map((p) => `show${json ? ' --json' : ''} (exit ${r.code}): ${p}`))
      problems.push(...describeChanges(everything, await snapshotOutside(scene, true)).map((c) => `show changed something: ${c}`))
    }

    const json = k % 4 === 1
    const r = await ws.cli(['apply', scene.planFile, '--cache-dir', cacheDir, ...(json ? ['--json'] : [])], {cwd: scene.cwd, timeoutMs: 30_000})
    const replicaChanged = describeChanges(replicaBefore, await snapshotTree(scene.replica)).length > 0
    problems.push(...checkApply(r, json, replicaChanged).map((p) => `apply${json ? ' --json' : ''} (exit ${r.code}): ${p}`))
    problems.push(...describeChanges(outside, await snapshotOutside(scene)).map((c) => `apply (exit ${r.code}) changed something outside the replica: ${c}`))
    const refused = json ? r.stdout.includes('"error"') : nonEmptyLines(r.stderr).some((l) => l.startsWith('Error: '))
    const outcome: PlanOutcome = r.code === 0 ? 'applied' : r.code !== 1 ? 'other' : refused ? 'refused' : 'operations failed'
    return {violations: problems.length > 0 ? [`${label}:\n  - ${problems.join('\n  - ')}`] : [], outcome}
  } finally {
    await rm(scene.root, {recursive: true, force: true})
  }
}

async function argvCase(ws: Workspace, root: string, k: number): Promise<{violations: string[]; vector: Vector; code: number | null}> {
  const scene = await buildScene(join(root, `argv-case-${k}`))
  try {
    const base = JSON.parse(await readFile(join(root, 'base-plan.json'), 'utf8'))
    await writeFile(scene.planFile, JSON.stringify(planFor(base, scene), null, 2))
    const vector = randomVector(seededRandom(ARGV_SEED + k), scene)
    const label = `argv case ${k} (seed ${ARGV_SEED}+${k}): treesync ${vector.argv.map((a) => JSON.stringify(a.length > 80 ? `${a.slice(0, 40)}…` : a)).join(' ')}`
    const outside = await snapshotOutside(scene)
    const problems: string[] = []
    // Give each case its own default cache dir too (a vector without --cache-dir uses it).
    const env = {XDG_CACHE_HOME: join(scene.scratch, 'xdg-cache')}
    let r: CliResult
    if (vector.command === 'watch') {
      const w = await runWatch(vector.argv, {...ws.env, ...env}, scene.cwd)
      r = w
      if (w.problem) problems.push(w.problem)
      if (w.stopped && (w.code !== 0 || w.signal !== null)) problems.push(`watch stopped with SIGTERM must exit 0, got ${w.signal ?? w.code}:\n${excerpt(w.stderr + w.stdout)}`)
      problems.push(...basicProblems(w, w.stopped ? [0] : [0, 1]))
    } else {
      r = await ws.cli(vector.argv, {cwd: scene.cwd, env, timeoutMs: 30_000})
      problems.push(...basicProblems(r, vector.mayExit2 ? [0, 1, 2] : [0, 1]))
    }
    const lines = nonEmptyLines(r.stderr)
    const other = lines.filter((l) => !isLogLine(l) && !isWarningLine(l))
    // The contract's one-line refusals are about treesync's commands; an unknown command is
    // oclif's own message (wrapped at 80 columns; noted in the report, not asserted).
    if (!vector.known) other.splice(0, other.length, ...(other.every((l) => l.startsWith(' ›   ')) ? [] : other))
    if (r.code === 1 && other.length > 1) problems.push(`exit 1 with ${other.length} stderr lines that are neither log lines nor warnings (a refusal is one line):\n${excerpt(r.stderr)}`)
    if (r.code === 1 && other.length === 1 && lines.at(-1) !== other[0]) problems.push(`the error line is not the last stderr line:\n${excerpt(r.stderr)}`)
    if (r.code !== 1 && other.length > 0) problems.push(`exit ${r.code} with stderr lines that are neither log lines nor warnings:\n${excerpt(r.stderr)}`)
    if (vector.jsonOnly && r.signal === null) {
      const {doc, problem} = parseOneJson(r.stdout)
      if (problem) problems.push(problem)
      else if (r.code === 1 && doc?.error === undefined && !Array.isArray(doc?.failed)) problems.push(`--json exit 1 without an "error" member: ${excerpt(r.stdout)}`)
    }
    problems.push(...describeChanges(outside, await snapshotOutside(scene)).map((c) => `changed something outside the replica: ${c}`))
    return {violations: problems.length > 0 ? [`${label} → exit ${r.signal ?? r.code}:\n  - ${problems.join('\n  - ')}`] : [], vector, code: r.code}
  } finally {
    await rm(scene.root, {recursive: true, force: true})
  }
}

async function setUp(t: TestContext): Promise<{ws: Workspace; base: Record<string, any>}> {
  const ws = await workspace(t)
  return {ws, base: await basePlan(ws)}
}

test(`fuzz: ${PLAN_CASES} mutated and random plan files to apply PLANFILE and show (seed ${PLAN_SEED})`, {timeout: 300_000}, async (t) => {
  const {ws, base} = await setUp(t)
  const cases = Array.from({length: PLAN_CASES}, (_, k) => k)
  const results = await inPool(cases, PARALLEL, (k) => planCase(ws, ws.dir, base, k))
  const count = (o: PlanOutcome): number => results.filter((r) => r.outcome === o).length
  t.diagnostic(`apply PLANFILE outcomes: ${(['applied', 'refused', 'operations failed', 'other'] as const).map((o) => `${o} ${count(o)}`).join(', ')}`)
  // Not vacuous: mutated plans are both refused and (when still valid) applied.
  assert.ok(count('refused') >= 40 && count('applied') + count('operations failed') >= 8, 'the mutations are too weak or too strong to test much')
  assertNoViolations(results.flatMap((r) => r.violations), PLAN_CASES, 'plan cases')
})

test(`fuzz: ${ARGV_CASES} random command lines (seed ${ARGV_SEED})`, {timeout: 300_000}, async (t) => {
  const {ws, base} = await setUp(t)
  await writeFile(join(ws.dir, 'base-plan.json'), JSON.stringify(base))
  const cases = Array.from({length: ARGV_CASES}, (_, k) => k)
  const results = await inPool(cases, PARALLEL, (k) => argvCase(ws, ws.dir, k))
  const codes = new Map<string, number>()
  for (const r of results) codes.set(`${r.vector.command || '(none)'}→${r.code}`, (codes.get(`${r.vector.command || '(none)'}→${r.code}`) ?? 0) + 1)
  t.diagnostic(`outcomes: ${[...codes].map(([k, n]) => `${k}×${n}`).join(' ')}`)
  // The vectors must reach past argument parsing often enough to mean something.
  const ran = results.filter((r) => r.code === 0 && ['plan', 'apply', 'watch'].includes(r.vector.command)).length
  assert.ok(ran >= 10, `only ${ran} vectors ran plan/apply/watch to success; the generator is too hostile to test much`)
  assertNoViolations(results.flatMap((r) => r.violations), ARGV_CASES, 'argument vectors')
})

test('apply PLANFILE replacing a replica symlink by a directory never touches what the symlink points to (found by the plan fuzzer)', async (t) => {
  const {ws, base} = await setUp(t)
  const scene: Scene = await buildScene(join(ws.dir, 'symlink-sweep'))
  await writeFile(scene.planFile, JSON.stringify(planFor(base, scene), null, 2))
  const sentinelBefore = await snapshotTree(scene.sentinel)
  const r = await ws.cli(['apply', scene.planFile, '--cache-dir', join(scene.scratch, 'cache')], {cwd: scene.cwd})
  assert.equal(r.code, 0, r.stderr)
  // The plan deletes the replica's symlink `link` (-> ../sentinel), makes a directory
  // `link` and creates `link/inner.txt`; the sentinel holds a file named like a temporary.
  const changes = describeChanges(sentinelBefore, await snapshotTree(scene.sentinel))
  assert.equal(
    changes.join('\n'),
    '',
    `apply ${scene.planFile} changed the sentinel outside the replica (its ${SENTINEL_TEMP_NAME} is a user file there, not a temporary of this replica)`,
  )
})
