import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import fc from 'fast-check'

import {FULL_CAPABILITIES, type Capabilities} from '../../src/backend/capabilities.js'
import type {CompareMode, Entry, EntryType, Manifest} from '../../src/index.js'
import {planSync, summarize} from '../../src/index.js'
import {relativePathProblem} from '../../src/tree/paths.js'
import {CREATED_AT, T0, manifest} from './manifest-literals.js'
import {manifestOf, simulate, type Model} from './simulate.js'

// Small pools, so two random trees share many paths and contents: updates, meta-only
// fixes, renames and type changes all happen often. NFC and NFD "é" are distinct names.
const NAMES = ['a', 'b', 'a-b', 'a b', 'Z', '\u00e9', 'e\u0301', '\u{1f600}']
const CONTENTS = [
  {size: 0, md5: 'd41d8cd98f00b204e9800998ecf8427e'},
  {size: 3, md5: 'c1'},
  {size: 3, md5: 'c2'},
  {size: 5, md5: 'c3'},
]
const FILE_MODES = [0o644, 0o600, 0o755]
const DIR_MODES = [0o755, 0o700]
const TIMES = [T0, T0 + 1, T0 - 86_400_000]
const TARGETS = ['a', '../b', 'a b/Z', '/etc/hostname']
const TWEAKS = ['none', 'none', 'content', 'mode', 'mtime', 'kind', 'target', 'move', 'unhash'] as const
const RUNS = {seed: 42, numRuns: 300}

/** One entry to put in a random tree; missing ancestors become default directories. */
interface Spec {
  segments: string[]
  kind: EntryType
  content: {size: number; md5: string}
  mode: number
  dirMode: number
  mtimeMs: number
  target: string
  hashed: boolean
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  segments: fc.array(fc.constantFrom(...NAMES), {minLength: 1, maxLength: 3}),
  kind: fc.constantFrom<EntryType>('file', 'file', 'dir', 'symlink'),
  content: fc.constantFrom(...CONTENTS),
  mode: fc.constantFrom(...FILE_MODES),
  dirMode: fc.constantFrom(...DIR_MODES),
  mtimeMs: fc.constantFrom(...TIMES),
  target: fc.constantFrom(...TARGETS),
  hashed: fc.constant(true),
})

/** A change to one shared spec on the replica side, taking the new value from `from`. */
const tweakArb = fc.record({kind: fc.constantFrom(...TWEAKS), from: specArb})

/** A source and a replica that share a tweaked base, each with extra entries of its own. */
const pairArb = fc
  .record({
    base: fc.array(specArb, {maxLength: 10}),
    tweaks: fc.array(tweakArb, {minLength: 10, maxLength: 10}),
    sourceExtra: fc.array(specArb, {maxLength: 4}),
    replicaExtra: fc.array(specArb, {maxLength: 4}),
  })
  .map(({base, tweaks, sourceExtra, replicaExtra}) => ({
    source: [...base, ...sourceExtra],
    replica: [...base.map((spec, i) => tweak(spec, tweaks[i]!)), ...replicaExtra],
  }))

function tweak(spec: Spec, {kind, from}: {kind: (typeof TWEAKS)[number]; from: Spec}): Spec {
  switch (kind) {
    case 'none':
      return spec
    case 'content':
      return {...spec, content: from.content}
    case 'mode':
      return {...spec, mode: from.mode, dirMode: from.dirMode}
    case 'mtime':
      return {...spec, mtimeMs: from.mtimeMs}
    case 'kind':
      return {...spec, kind: from.kind}
    case 'target':
      return {...spec, target: from.target}
    case 'move':
      return {...spec, segments: from.segments}
    case 'unhash':
      return {...spec, hashed: false}
  }
}

/** Builds a consistent tree: a spec whose path or an ancestor is taken by a non-directory is dropped. */
function treeOf(root: string, specs: readonly Spec[], compare: CompareMode): Manifest {
  const entries = new Map<string, Entry>()
  for (const spec of specs) {
    const path = spec.segments.join('/')
    const ancestors = spec.segments.slice(0, -1).map((_, i) => spec.segments.slice(0, i + 1).join('/'))
    if (entries.has(path) || ancestors.some((a) => entries.has(a) && entries.get(a)!.type !== 'dir')) continue
    for (const a of ancestors) if (!entries.has(a)) entries.set(a, {path: a, type: 'dir', size: 0, mode: 0o755, mtimeMs: T0})
    entries.set(path, entryOf(path, spec, compare))
  }
  return manifest(root, [...entries.values()])
}

function entryOf(path: string, spec: Spec, compare: CompareMode): Entry {
  switch (spec.kind) {
    case 'dir':
      return {path, type: 'dir', size: 0, mode: spec.dirMode, mtimeMs: spec.mtimeMs}
    case 'symlink':
      return {path, type: 'symlink', size: spec.target.length, mode: 0, mtimeMs: T0, target: spec.target}
    case 'file': {
      const hashed = compare === 'md5' && spec.hashed
      return {path, type: 'file', size: spec.content.size, mode: spec.mode, mtimeMs: spec.mtimeMs, ...(hashed ? {md5: spec.content.md5} : {})}
    }
  }
}

/** What a mirror must reproduce of each entry, as a sorted list for readable diffs. */
function mirrorView(entries: Iterable<[string, Omit<Entry, 'path'>]>, compare: CompareMode): [string, unknown][] {
  const view: [string, unknown][] = []
  for (const [path, e] of entries) {
    if (e.type === 'symlink') view.push([path, {type: e.type, target: e.target}])
    else if (e.type === 'dir') view.push([path, {type: e.type, mode: e.mode, mtimeMs: e.mtimeMs}])
    else view.push([path, {type: e.type, size: e.size, mode: e.mode, mtimeMs: e.mtimeMs, ...(compare === 'md5' ? {md5: e.md5} : {})}])
  }
  return view.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function checkPlan(sourceSpecs: readonly Spec[], replicaSpecs: readonly Spec[], compare: CompareMode): void {
  const src = treeOf('/src', sourceSpecs, compare)
  const rep = treeOf('/replica', replicaSpecs, compare)
  const plan = planSync(src, rep, {compare, createdAt: CREATED_AT})

  for (const op of plan.operations) {
    assert.equal(relativePathProblem(op.path), undefined, `bad path in ${JSON.stringify(op)}`)
    if (op.op === 'rename') assert.equal(relativePathProblem(op.from), undefined, `bad from in ${JSON.stringify(op)}`)
  }
  assert.deepEqual(plan.summary, summarize(plan.operations))

  const model: Model = simulate(rep, plan.operations)
  assert.deepEqual(
    mirrorView(model, compare),
    mirrorView(
      src.entries.map((e) => [e.path, e]),
      compare,
    ),
  )
  const again = planSync(src, manifestOf(model, '/replica'), {compare, createdAt: CREATED_AT})
  assert.deepEqual(again.operations, [])
}

describe('planSync over random manifests', () => {
  test('md5: applying the plan in order mirrors the source, and re-planning finds nothing', () => {
    fc.assert(
      fc.property(pairArb, ({source, replica}) => checkPlan(source, replica, 'md5')),
      RUNS,
    )
  })

  test('size-mtime: applying the plan in order mirrors the source, and re-planning finds nothing', () => {
    fc.assert(
      fc.property(pairArb, ({source, replica}) => checkPlan(source, replica, 'size-mtime')),
      RUNS,
    )
  })

  test('the random pairs exercise every kind of operation and reason', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(pairArb, ({source, replica}) => {
        const plan = planSync(treeOf('/s', source, 'md5'), treeOf('/r', replica, 'md5'), {compare: 'md5', createdAt: CREATED_AT})
        for (const op of plan.operations) seen.add(`${op.op}:${op.reason}`)
      }),
      RUNS,
    )
    const wanted = ['mkdir:missing', 'create:missing', 'update:size', 'update:content', 'update:target', 'meta:mtime', 'meta:mode']
    const more = ['rename:moved', 'delete:extra', 'rmdir:extra', 'delete:type', 'rmdir:type', 'create:type', 'mkdir:type']
    assert.deepEqual([...wanted, ...more].filter((k) => !seen.has(k)), [])
  })
})

/** A replica filesystem of random limits: how coarse its mtimes are, whether it keeps modes, symlinks, cheap moves, directories of its own (S3 does not). */
const limitsArb: fc.Arbitrary<Capabilities> = fc.record({
  mtimePrecisionNs: fc.constantFrom(1, 1e6, 1e7, 1e9, 2e9),
  modes: fc.boolean(),
  symlinks: fc.boolean(),
  cheapMove: fc.boolean(),
  emptyDirs: fc.boolean(),
}).map((limits) => ({...FULL_CAPABILITIES, ...limits}))

/** What a replica with these limits keeps of an entry: the mtime truncated (none for a directory on S3), a fixed mode where it keeps none. */
function storedAs(limits: Capabilities, entry: Omit<Entry, 'path'>): Omit<Entry, 'path'> {
  const stepMs = Math.max(1, limits.mtimePrecisionNs / 1e6)
  const mtimeMs = entry.type === 'dir' && !limits.emptyDirs ? 0 : Math.floor(entry.mtimeMs / stepMs) * stepMs
  const mode = limits.modes || entry.type === 'symlink' ? entry.mode : entry.type === 'dir' ? 0o755 : 0o644
  return {...entry, mtimeMs, mode}
}

function storedManifest(limits: Capabilities, entries: Iterable<[string, Omit<Entry, 'path'>]>): Manifest {
  return manifest('/replica', [...entries].map(([path, e]) => ({path, ...storedAs(limits, e)})))
}

describe('planSync over random manifests and a replica of random limits', () => {
  test('applying the plan, stored as that replica stores it, converges: re-planning finds nothing', () => {
    fc.assert(
      fc.property(pairArb, limitsArb, fc.constantFrom<CompareMode>('md5', 'size-mtime'), ({source, replica}, limits, compare) => {
        const src = treeOf('/src', source, compare)
        const kept = treeOf('/replica', replica, compare).entries.filter((e) => limits.symlinks || e.type !== 'symlink')
        const rep = storedManifest(limits, kept.map((e) => [e.path, e]))
        const capabilities = {source: FULL_CAPABILITIES, replica: limits}
        const plan = planSync(src, rep, {compare, createdAt: CREATED_AT, capabilities})
        if (!limits.symlinks) assert.ok(!plan.operations.some((op) => 'type' in op && op.type === 'symlink' && op.op !== 'delete'), 'no symlink made')
        if (!limits.cheapMove) assert.ok(!plan.operations.some((op) => op.op === 'rename'), 'no rename')
        const model = simulate(rep, plan.operations)
        const again = planSync(src, storedManifest(limits, model), {compare, createdAt: CREATED_AT, capabilities})
        assert.deepEqual(again.operations, [])
      }),
      RUNS,
    )
  })
})
