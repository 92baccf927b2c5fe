/**
 * treesync's public API: what a program embedding the engine needs to plan a sync, show it,
 * save and read it back, apply it, and watch; plus the `Backend` contract a new kind of
 * root will implement. No CLI framework here: the engine returns values, throws
 * `TreesyncError`s and reports progress through callbacks.
 *
 * Only what a library user calls or names is exported. Internals stay out and are imported
 * by their module path, by the CLI (`commands/`, the engine's first client, not its
 * surface) and by tests: the fast paths (sync hashing, raw listings, scanner threads), the
 * filter, lock and log-file helpers the CLI builds its flags from, cache record packing,
 * and tuning constants and test knobs. `test/api/public-api.test.ts` snapshots the list, so
 * changing it is deliberate.
 */

// Errors: a stable code and the path concerned; anything else thrown is a defect.
export {TreesyncError, isTreesyncError, type ErrorCode} from './errors.js'

// Naming and resolving the two roots.
export {formatRootSpec, parseRootSpec, type LocalRootSpec, type RootKind, type RootSpec, type S3RootSpec, type SftpRootSpec} from './backend/root-spec.js'
export {resolveRoots, type RootOptions, type Roots} from './roots.js'

// How to sync: plain data, passed as it is to planning, apply and every watch cycle.
export type {SyncSettings} from './settings.js'
export type {DeleteGuards} from './plan/guards.js'

// The model: scanned trees, the operations of a plan, the plan itself.
export type {Entry, EntryType, Manifest, ScanWarning} from './tree/entry.js'
export {comparePaths} from './tree/paths.js'
export {isTempName} from './tree/temp-name.js'
export type * from './plan/operation.js'
export {PLAN_FORMAT, PLAN_VERSION, hasReadErrors, summarize, type CompareMode, type Plan, type PlanSummary, type PlanWarning} from './plan/plan.js'

// Planning: scan both roots and plan (`preparePlan`), or plan two manifests (pure `planSync`).
export {
  preparePlan,
  preparePlanLogged,
  type HashingStats,
  type LoggedPlanRun,
  type PlanRun,
  type PreparedPlan,
  type PrepareProgress,
} from './sync.js'
export type {HashProgress, ScanProgress} from './scan/scan-pair.js'
export {planSync, type PlanOptions} from './plan/plan-sync.js'
export {guardViolations} from './plan/guards.js'
export {holdRemovals, type HeldPlan} from './plan/hold-removals.js'

// Hash caches: injected into planning; the file cache is the CLI's, the memory one a library user's own.
export {openRunCaches, saveRunCaches} from './sync.js'
export {cacheDirectory} from './cache-dir.js'
export type {FileIdentity, HashCache, HashRecord, TreeHashCaches} from './cache/hash-cache.js'
export {FileHashCache} from './cache/file-hash-cache.js'
export {MemoryHashCache} from './cache/memory-hash-cache.js'

// Saved plans: the versioned JSON envelope, written and read back.
export {toPlanJson, type PlanJson} from './planfile/plan-json.js'
export {readPlanFile, writePlanFile} from './planfile/plan-file.js'
export {validatePlan} from './planfile/validate-plan.js'

// Applying: check a saved plan still holds, hold the replica's lock, apply exactly the plan.
export {verifyPlan, type Staleness, type VerifyOptions} from './apply/verify-plan.js'
export {acquireReplicaLock, type ReplicaLock} from './lock/replica-lock.js'
export {applyPlan, type ApplyEvent, type ApplyOptions, type ApplyResult, type FailedOperation, type SkippedOperation} from './apply/apply-plan.js'
export {applyPlanLogged, type ApplyRun} from './apply/apply-logged.js'
export {findTemporariesIn} from './apply/sweep-temporaries.js'

// Watching: one cycle, the loop that repeats it, and source change events to wake it early.
export {runCycle, type CycleOptions, type CycleReport} from './watch/run-cycle.js'
export {runWatchLoop, type ChangeSubscription, type Timers, type WatchLoopOptions} from './watch/watch-loop.js'
export {SourceEvents, type SourceEventsOptions} from './watch/source-events.js'

// Showing: text renderings of plans, diffs and results (the JSON form is `toPlanJson`).
export {createStyle, type Style} from './render/style.js'
export {planLine, renderOperation, renderPlan, renderWarnings} from './render/plan-text.js'
export {diffUpdates, type FileDiff} from './diff/update-diffs.js'
export {renderFileDiff} from './render/diff-text.js'
export {renderApplyResult, type ApplyEnding} from './render/apply-text.js'

// Logging: the timestamped lines `preparePlanLogged`, `applyPlanLogged` and `runCycle` write.
export {Logger, streamSink, type LineStream, type LogSink} from './log/logger.js'
export type {LogLevel} from './log/log-line.js'

// Backends: the contract a kind of root implements, and what a root can keep.
export {
  ABSENT,
  type Backend,
  type BackendEntry,
  type ContentHash,
  type ExpectedEntry,
  type ExpectedState,
  type ListedEntry,
  type MetadataChange,
  type SourceFile,
  type WriteAttributes,
} from './backend/backend.js'
export {FULL_CAPABILITIES, type Capabilities, type RootCapabilities} from './backend/capabilities.js'
// Remote roots: the connections of a run, passed to resolveRoots, preparePlan, applyPlan and runCycle.
export {RemoteConnections, type RemoteOptions} from './backend/remote-connections.js'
export type {SshOptions} from './backend/sftp/ssh-session.js'
