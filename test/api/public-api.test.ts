import assert from 'node:assert/strict'
import {fileURLToPath} from 'node:url'
import {test} from 'node:test'

import type {
  ApplyOptions,
  ApplyResult,
  Backend,
  Capabilities,
  CycleOptions,
  ErrorCode,
  HashCache,
  Manifest,
  Operation,
  Plan,
  PlanJson,
  PreparedPlan,
  RootSpec,
  Roots,
  Style,
  SyncSettings,
  WatchLoopOptions,
} from '../../src/index.js'

/** The package's own name: imported through `exports` in package.json, as a library user would. */
const PACKAGE = 'treesync'

/**
 * Every runtime name the package entry exports, sorted. Changing the public API means
 * changing this list, deliberately (see the doc comment at the top of src/index.ts).
 */
const PUBLIC_API = [
  'ABSENT',
  'FULL_CAPABILITIES',
  'FileHashCache',
  'Logger',
  'MemoryHashCache',
  'PLAN_FORMAT',
  'PLAN_VERSION',
  'RemoteConnections',
  'SourceEvents',
  'TreesyncError',
  'acquireReplicaLock',
  'applyPlan',
  'applyPlanLogged',
  'cacheDirectory',
  'comparePaths',
  'createStyle',
  'diffUpdates',
  'findTemporariesIn',
  'formatRootSpec',
  'guardViolations',
  'hasReadErrors',
  'holdRemovals',
  'isTempName',
  'isTreesyncError',
  'openRunCaches',
  'parseRootSpec',
  'planLine',
  'planSync',
  'preparePlan',
  'preparePlanLogged',
  'readPlanFile',
  'renderApplyResult',
  'renderFileDiff',
  'renderOperation',
  'renderPlan',
  'renderWarnings',
  'resolveRoots',
  'runCycle',
  'runWatchLoop',
  'saveRunCaches',
  'streamSink',
  'summarize',
  'toPlanJson',
  'validatePlan',
  'verifyPlan',
  'writePlanFile',
]

/** Engine internals kept out of the API: fast paths, test knobs, CLI-only helpers, record details. */
const INTERNALS = [
  'hashFileSync',
  'hashPairSync',
  'ReadBuffers',
  'listDirectory',
  'scanTree',
  'scanPair',
  'internalRelativePaths',
  'scanSettingsOf',
  'LOG_MOVE_CHECK_MS',
  'ROOT_CHECK_MS',
  'MAX_TIMER_MS',
  'MAX_REMEMBERED_WARNINGS',
  'DEFAULT_DEBOUNCE_MS',
  'pickOne',
  'parseInterval',
  'WarnOnceLogger',
  'openLogFile',
  'formatLogLine',
  'logApplyEvents',
  'isRacy',
  'hashCacheFile',
  'openHashCaches',
  'ReplicaHashRecorder',
  'recordAppliedHashes',
  'sweepTemporaries',
  'assertPlanRoots',
  'colourWanted',
  'isWithin',
  'realpathOfMaybeMissing',
  'resolveMaybeMissing',
  'createExcludeFilter',
  'readExcludeFile',
  'describeFsError',
  'defaultConcurrency',
  'formatBytes',
  'LocalBackend',
]

/** The public types a library user names; removing one fails the type check of this file. */
export type PublicTypes = [
  ApplyOptions,
  ApplyResult,
  Backend,
  Capabilities,
  CycleOptions,
  ErrorCode,
  HashCache,
  Manifest,
  Operation,
  Plan,
  PlanJson,
  PreparedPlan,
  RootSpec,
  Roots,
  Style,
  SyncSettings,
  WatchLoopOptions,
]

const loadEntry = async (): Promise<Record<string, unknown>> => import(PACKAGE)

test('the package name resolves to the built entry, dist/src/index.js', () => {
  const entry = fileURLToPath(import.meta.resolve(PACKAGE))
  assert.equal(entry, fileURLToPath(new URL('../../src/index.js', import.meta.url)))
})

test('the package entry exports exactly the public API', async () => {
  const names = Object.keys(await loadEntry()).sort()
  assert.deepEqual(names, [...PUBLIC_API].sort())
})

test('every public export is defined', async () => {
  const entry = await loadEntry()
  for (const name of PUBLIC_API) assert.notEqual(entry[name], undefined, name)
})

test('no engine internal is exported', async () => {
  const entry = await loadEntry()
  const leaked = INTERNALS.filter((name) => name in entry)
  assert.deepEqual(leaked, [])
})
