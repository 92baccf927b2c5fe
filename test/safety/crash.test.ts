import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {cp, mkdir, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN, runCli} from '../helpers/cli.js'
import {seededRandom} from '../helpers/random-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror, snapshotTree, type SnapshotEntry} from '../helpers/tree-snapshot.js'
import {crashScene} from './crash-scene.js'

/**
 * Kill -9 mid-apply (contract, Apply: "at every instant, even after kill -9, each replica
 * path holds either its old or its new content. Leftover temporaries are never reported as
 * user entries and are cleaned up by the next run").
 */

const SEED = 0x7e5c_2026
const ROUNDS = 24
/** How many rounds must have caught the apply half-way for the test to mean anything. */
const MIN_INTERRUPTED = 5
/**
 * Kill timing depends on the machine's load; when fewer than MIN_INTERRUPTED of the ROUNDS
 * kills caught the apply half-way, up to this many more seeded mid-apply rounds are run.
 */
const EXTRA_ROUNDS = 16
const TEMPORARY = /^\.treesync-.*\.tmp$/

/**
 * When a round kills: `early` at a seeded time after spawn, before apply changes anything
 * (start-up, scan, planning); `apply` at a seeded time within the measured changing phase;
 * `progress` just after the seeded N-th operation has been logged (other copies are then in
 * flight; this anchors the moment to the apply's own progress, so it holds up on a loaded
 * machine where timings drift); `late` after the last operation (directory times, exit).
 */
type Kind = 'early' | 'apply' | 'progress' | 'late'

interface Timing {
  /** ms from spawn until the `INFO apply SOURCE -> REPLICA` line (the first change is next). */
  applyStart: number
  /** ms from spawn until the last per-operation log line (the last change is done). */
  applyEnd: number
  /** How many operations it logged. */
  operations: number
}

interface Running {
  /** Resolves with ms since spawn when apply starts changing the replica (undefined if it exited first). */
  applyStarted: Promise<number | undefined>
  /** Resolves, once apply has finished, with ms since spawn of its last operation line (undefined if it exited first). */
  applyFinished: Promise<number | undefined>
  /** Resolves when `n` operations have been logged (or the process exited). */
  afterOperations(n: number): Promise<void>
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string}>
  kill(): void
}

const OPERATION_LINE = / INFO (mkdir|create|update|meta|rename|delete|rmdir) /g

test(`kill -9 at ${ROUNDS} seeded moments of an apply: every replica file is old or new, and the next apply converges (seed ${SEED})`, {timeout: 600_000}, async (t) => {
  const dir = await tempDir(t, 'treesync-crash-')
  const source = join(dir, 'source')
  const replica = join(dir, 'replica')
  const pristine = join(dir, 'pristine-replica')
  const sentinel = join(dir, 'sentinel')
  const cacheDir = join(dir, 'cache')
  const home = join(dir, 'home')
  await mkdir(home)
  const env = {HOME: home, XDG_CACHE_HOME: join(home, '.cache'), NO_COLOR: '1'}

  const random = seededRandom(SEED)
  const scene = crashScene(random)
  await buildTree(source, scene.source)
  await buildTree(pristine, scene.replica)
  await buildTree(sentinel, scene.sentinel)

  const sourceSnap = await snapshotTree(source)
  const sentinelSnap = await snapshotTree(sentinel)
  const oldEntries = byPath(await snapshotTree(pristine))
  const newEntries = byPath(sourceSnap)
  const applyArgs = ['apply', source, replica, '--auto-approve', '--cache-dir', cacheDir]

  const resetReplica = async (): Promise<void> => {
    await rm(replica, {recursive: true, force: true})
    await cp(pristine, replica, {recursive: true, preserveTimestamps: true, verbatimSymlinks: true})
  }

  const start = (): Running => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [BIN, ...applyArgs], {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    let markStarted: (ms: number | undefined) => void = () => undefined
    let markFinished: (ms: number | undefined) => void = () => undefined
    const applyStarted = new Promise<number | undefined>((resolve) => (markStarted = resolve))
    const applyFinished = new Promise<number | undefined>((resolve) => (markFinished = resolve))
    let lastOperation: number | undefined
    let operations = 0
    const waiters: Array<{n: number; resolve: () => void}> = []
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      const now = performance.now() - t0
      if (/ INFO apply .+ -> /.test(stderr)) markStarted(now)
      const logged = (stderr.match(OPERATION_LINE) ?? []).length
      if (logged > operations) {
        operations = logged
        lastOperation = now
        for (const w of waiters) if (operations >= w.n) w.resolve()
      }
      if (/ (INFO|ERROR) apply finished/.test(stderr)) markFinished(lastOperation)
    })
    const afterOperations = (n: number): Promise<void> =>
      n <= operations ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({n, resolve}))
    const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string}>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (code, signal) => {
        markStarted(undefined)
        markFinished(undefined)
        for (const w of waiters) w.resolve()
        resolve({code, signal, ms: performance.now() - t0, stderr})
      })
    })
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    return {applyStarted, applyFinished, afterOperations, exited, kill: () => child.kill('SIGKILL')}
  }

  // Uninterrupted runs first: they must work, and their timing places the kills (the median
  // of three, since the first run of a fresh tree is slower than the rest).
  const timings: Timing[] = []
  for (let i = 0; i < 3; i++) {
    await resetReplica()
    timings.push(await measure(start))
    await assertMirror(source, replica, 'an uninterrupted measuring run did not produce a mirror')
  }
  const applyStart = median(timings.map((m) => m.applyStart))
  const phase = Math.max(1, median(timings.map((m) => m.applyEnd - m.applyStart)))
  const operationCount = Math.min(...timings.map((m) => m.operations))
  t.diagnostic(
    `uninterrupted applies: changes from +${timings.map((m) => `${m.applyStart.toFixed(0)} to +${m.applyEnd.toFixed(0)} ms`).join(', ')} ` +
      `after spawn, ${operationCount} operations; kills placed with start +${applyStart.toFixed(0)} ms, phase ${phase.toFixed(0)} ms`,
  )

  const apply = Math.floor((ROUNDS - 8) / 2)
  const kinds: Kind[] = [...fill('early', 4), ...fill('apply', apply), ...fill('progress', ROUNDS - 8 - apply), ...fill('late', 4)]
  shuffle(kinds, random)

  let interrupted = 0
  const outcomes: string[] = []
  let round = 0
  for (; round < ROUNDS || (interrupted < MIN_INTERRUPTED && round < ROUNDS + EXTRA_ROUNDS); round++) {
    const kind: Kind = kinds[round] ?? (round % 2 === 0 ? 'apply' : 'progress')
    const fraction = random()
    await resetReplica()
    const run = start()
    let when: string
    if (kind === 'early') {
      const delay = fraction * applyStart
      await sleep(delay)
      when = `+${delay.toFixed(1)} ms after spawn`
    } else if (kind === 'progress') {
      // In the first 60% of the operations the big copies are still in flight.
      const n = Math.floor(fraction * 0.6 * operationCount)
      const extra = random() * 3
      await run.afterOperations(n)
      await sleep(extra)
      when = `${extra.toFixed(1)} ms after operation ${n}/${operationCount} was logged`
    } else {
      const started = await run.applyStarted
      const offset = kind === 'apply' ? fraction * phase : phase * (1 + 4 * fraction)
      await sleep(offset)
      when = `${offset.toFixed(1)} ms after apply started (at +${started?.toFixed(0) ?? '?'} ms)`
    }
    run.kill()
    const exit = await run.exited
    const label = `round ${round} (seed ${SEED}, ${kind}, SIGKILL ${when}; process ${exit.signal ?? `exited ${exit.code}`})`
    if (exit.signal === null) assert.equal(exit.code, 0, `${label}: an apply that finished before the kill failed:\n${exit.stderr}`)

    // 1. Every path is old or new, never anything else.
    const after = await snapshotTree(replica)
    const state = judge(after, oldEntries, newEntries)
    assert.deepEqual(state.problems, [], `${label}: replica holds content that is neither old nor new`)
    if (state.partial) interrupted++
    outcomes.push(`${round}:${kind}:${state.partial ? `partial(${state.temporaries} tmp, ${state.newFiles} new, ${state.oldFiles} old)` : state.allNew ? 'done' : 'untouched'}`)

    // Leftover temporaries are never reported as user entries (here: by plan).
    if (state.temporaries > 0) {
      const plan = await runCli(['plan', source, replica, '--json', '--cache-dir', cacheDir], {env, timeoutMs: 120_000})
      assert.equal(plan.code, 0, `${label}: plan after the kill failed:\n${plan.stderr}`)
      const named = (JSON.parse(plan.stdout) as {operations: Array<{path: string; from?: string}>}).operations
        .flatMap((op) => [op.path, op.from ?? ''])
        .filter((path) => TEMPORARY.test(baseName(path)))
      assert.deepEqual(named, [], `${label}: plan reports leftover temporaries as entries`)
    }

    // 2. Nothing outside the replica changed.
    assert.deepEqual(await snapshotTree(sentinel), sentinelSnap, `${label}: the sentinel beside the replica changed`)
    assert.deepEqual(await snapshotTree(source), sourceSnap, `${label}: the source changed`)

    // 3. The next apply converges to an exact mirror and leaves no temporary.
    const again = await runCli(applyArgs, {env, timeoutMs: 120_000})
    assert.equal(again.code, 0, `${label}: the apply after the kill failed:\n${again.stderr}`)
    const left = (await snapshotTree(replica)).filter((e) => TEMPORARY.test(baseName(e.path))).map((e) => e.path)
    assert.deepEqual(left, [], `${label}: temporaries left after the next apply`)
    await assertMirror(source, replica, `${label}: the next apply did not converge to an exact mirror`)
    assert.deepEqual(await snapshotTree(sentinel), sentinelSnap, `${label}: the sentinel changed during the recovering apply`)
  }

  t.diagnostic(`${round} rounds, ${interrupted} caught the apply half-way; outcomes: ${outcomes.join(' ')}`)
  assert.ok(
    interrupted >= MIN_INTERRUPTED,
    `only ${interrupted} of ${round} kills (seed ${SEED}) caught the apply half-way (temporaries or a mix of old and new seen); ` +
      `the test needs ${MIN_INTERRUPTED} to mean anything: ${outcomes.join(' ')}`,
  )
})

async function measure(start: () => Running): Promise<Timing> {
  const run = start()
  const started = await run.applyStarted
  const finished = await run.applyFinished
  const exit = await run.exited
  assert.equal(exit.code, 0, `the uninterrupted apply failed:\n${exit.stderr}`)
  assert.ok(started !== undefined && finished !== undefined, `the uninterrupted apply did not log its start and end:\n${exit.stderr}`)
  return {applyStart: started, applyEnd: finished, operations: (exit.stderr.match(OPERATION_LINE) ?? []).length}
}

function fill(kind: Kind, n: number): Kind[] {
  return Array<Kind>(n).fill(kind)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

interface Judgement {
  problems: string[]
  temporaries: number
  oldFiles: number
  newFiles: number
  allNew: boolean
  /** Temporaries seen, or a mix that is neither the old replica nor the new one. */
  partial: boolean
}

/**
 * Checks a replica caught after a kill against the old and the new trees: every file
 * (temporaries aside) has the old or the new MD5 of its path, every other entry has the old
 * or the new type, no path is unknown to both, and a file in both trees never went missing.
 */
function judge(after: SnapshotEntry[], oldEntries: Map<string, SnapshotEntry>, newEntries: Map<string, SnapshotEntry>): Judgement {
  const problems: string[] = []
  let temporaries = 0
  let oldFiles = 0
  let newFiles = 0
  let allOld = true
  let allNew = true
  const seen = new Set<string>()
  for (const entry of after) {
    if (TEMPORARY.test(baseName(entry.path))) {
      temporaries++
      if (entry.type !== 'file') problems.push(`${entry.path}: a temporary that is a ${entry.type}`)
      continue
    }
    seen.add(entry.path)
    const before = oldEntries.get(entry.path)
    const wanted = newEntries.get(entry.path)
    if (!before) allOld = false
    if (!wanted) allNew = false
    if (!before && !wanted) {
      problems.push(`${entry.path}: a ${entry.type} that is in neither the old replica nor the source`)
      continue
    }
    if (entry.type === 'file') {
      const isOld = before?.type === 'file' && before.md5 === entry.md5
      const isNew = wanted?.type === 'file' && wanted.md5 === entry.md5
      if (!isOld && !isNew) problems.push(`${entry.path}: MD5 ${entry.md5} is neither the old ${before?.md5 ?? '(none)'} nor the new ${wanted?.md5 ?? '(none)'}`)
      if (isOld && !isNew) oldFiles++
      if (isNew && !isOld) newFiles++
      if (!isOld) allOld = false
      if (!isNew) allNew = false
    } else if (entry.type !== before?.type && entry.type !== wanted?.type) {
      problems.push(`${entry.path}: a ${entry.type}, neither the old ${before?.type ?? '(none)'} nor the new ${wanted?.type ?? '(none)'}`)
    }
  }
  for (const [path, entry] of oldEntries) {
    if (seen.has(path)) continue
    allOld = false
    if (entry.type === 'file' && newEntries.get(path)?.type === 'file') problems.push(`${path}: missing, though it holds a file before and after the sync`)
  }
  for (const path of newEntries.keys()) if (!seen.has(path)) allNew = false
  return {problems, temporaries, oldFiles, newFiles, allNew, partial: temporaries > 0 || (!allOld && !allNew)}
}

function byPath(entries: SnapshotEntry[]): Map<string, SnapshotEntry> {
  return new Map(entries.map((e) => [e.path, e]))
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
}
