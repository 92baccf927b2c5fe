/**
 * treesync's engine as a library: scan, plan, apply, render. No CLI framework here; the
 * engine returns values, throws `TreesyncError`s and reports progress through callbacks.
 */
export {TreesyncError, isTreesyncError, describeFsError, type ErrorCode} from './errors.js'
export {formatRootSpec, parseRootSpec, type LocalRootSpec, type RootKind, type RootSpec, type S3RootSpec, type SftpRootSpec} from './backend/root-spec.js'
export {isWithin, realpathOfMaybeMissing, resolveMaybeMissing, resolveRoots, type RootOptions, type Roots} from './roots.js'
export type {Entry, EntryType, Manifest, ScanWarning} from './tree/entry.js'
export {comparePaths, parentPath, relativePathProblem} from './tree/paths.js'
export {isTempName} from './tree/temp-name.js'
export {scanTree, type ScanOptions} from './scan/scan-tree.js'
export {listDirectory, type DirectoryListing, type ExcludeFn} from './scan/list-directory.js'
export {scanTrees, type HashProgress, type ScannedTrees, type ScanProgress, type ScanTreesOptions, type TreeScanProgress} from './scan/scan-trees.js'
export {hashFileSync, hashPairSync, ReadBuffers, type FileHash, type PairHash} from './scan/hash-sync.js'
export {excludePaths, internalRelativePaths} from './scan/internal-paths.js'
export {combineExcludes, compileExcludes, createExcludeFilter, readExcludeFile, type ExcludeRules} from './filter/exclude-filter.js'
export {excludePatternWarnings} from './filter/pattern-warnings.js'
export type * from './plan/operation.js'
export {
  PLAN_FORMAT,
  PLAN_VERSION,
  hasReadErrors,
  summarize,
  type CompareMode,
  type Plan,
  type PlanSummary,
  type PlanWarning,
} from './plan/plan.js'
export {planSync, type PlanOptions} from './plan/plan-sync.js'
export {holdRemovals, type HeldPlan} from './plan/hold-removals.js'
export {assertGuards, DEFAULT_GUARDS, emptySourceMessage, guardViolations, looksLikeEmptySource, removalCount, type DeleteGuards} from './plan/guards.js'
export {acquireReplicaLock, type ReplicaLock} from './lock/replica-lock.js'
export {findLockHolder, type LockHolder} from './lock/lock-holder.js'
export {cacheDirectory} from './cache-dir.js'
export {preparePlan, preparePlanLogged, type HashingStats, type LoggedPrepareOptions, type PreparedPlan, type PrepareOptions, type PrepareProgress} from './sync.js'
export {HashCache, isRacy, type FileIdentity, type HashRecord} from './cache/hash-cache.js'
export {AppliedRecorder, recordApplied} from './cache/record-applied.js'
export {
  applyPlan,
  type ApplyEvent,
  type ApplyOptions,
  type ApplyResult,
  type FailedOperation,
  type SkippedOperation,
} from './apply/apply-plan.js'
export {applyRecorded, type RecordedApplyOptions} from './apply/apply-recorded.js'
export {findTemporariesIn, sweepTemporaries} from './apply/sweep-temporaries.js'
export {assertPlanRoots, verifyPlan, type Staleness} from './apply/verify-plan.js'
export {readPlanFile, writePlanFile} from './planfile/plan-file.js'
export {toPlanJson, type PlanJson} from './planfile/plan-json.js'
export {validatePlan} from './planfile/validate-plan.js'
export {Logger, streamSink, type LineStream, type LogSink} from './log/logger.js'
export {LOG_MOVE_CHECK_MS, openLogFile, type FileSink, type LogFileOptions} from './log/log-file.js'
export {MAX_REMEMBERED_WARNINGS, WarnOnceLogger} from './log/warn-once.js'
export {formatLogLine, formatTimestamp, type LogLevel} from './log/log-line.js'
export {appliedMessage, failedMessage, skippedMessage} from './log/messages.js'
export {logApplyEvents} from './log/apply-log.js'
export {runCycle, type CycleOptions, type CycleReport} from './watch/run-cycle.js'
export {MAX_TIMER_MS, runWatchLoop, type ChangeSubscription, type Timers, type WatchLoopOptions} from './watch/watch-loop.js'
export {watchSource, DEFAULT_DEBOUNCE_MS, type SourceWatcher} from './watch/source-watcher.js'
export {ROOT_CHECK_MS, SourceEvents, type SourceEventsOptions} from './watch/source-events.js'
export {DEFAULT_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, parseInterval, pickOne} from './watch/interval.js'
export {renderPlan, renderOperation, renderWarnings, planLine} from './render/plan-text.js'
export {diffUpdates, DEFAULT_DIFF_MAX_BYTES, type FileDiff} from './diff/update-diffs.js'
export {renderFileDiff} from './render/diff-text.js'
export {renderApplyResult} from './render/apply-text.js'
export {createStyle, colourWanted, type Style} from './render/style.js'
export {formatBytes} from './render/format-bytes.js'
export {defaultConcurrency} from './util/concurrency.js'
