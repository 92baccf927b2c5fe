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
export {scanTree, type ScanTreeOptions} from './scan/scan-tree.js'
export {listDirectory, type DirectoryListing} from './backend/local/list-directory.js'
export {scanPair, type HashProgress, type ScannedPair, type ScanProgress, type PairScanRun, type PairScanProgress} from './scan/scan-pair.js'
export {hashFileSync, hashPairSync, ReadBuffers, type FileHash, type PairHash} from './backend/local/hash-sync.js'
export {internalRelativePaths} from './scan/internal-paths.js'
export {combineExcludes, compileExcludes, createExcludeFilter, excludePaths, readExcludeFile, type ExcludeFn, type ExcludeRules} from './filter/exclude-filter.js'
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
export {openRunCaches, preparePlan, preparePlanLogged, saveRunCaches, type HashingStats, type LoggedPlanRun, type PlanRun, type PreparedPlan, type PrepareProgress} from './sync.js'
export {scanSettingsOf, type ScanSettings, type SyncSettings} from './settings.js'
export {isRacy, type FileIdentity, type HashCache, type HashRecord, type TreeHashCaches} from './cache/hash-cache.js'
export {FileHashCache, hashCacheFile, openHashCaches} from './cache/file-hash-cache.js'
export {MemoryHashCache} from './cache/memory-hash-cache.js'
export {recordAppliedHashes, ReplicaHashRecorder} from './cache/replica-hash-recorder.js'
export {
  applyPlan,
  type ApplyEvent,
  type ApplyOptions,
  type ApplyResult,
  type FailedOperation,
  type SkippedOperation,
} from './apply/apply-plan.js'
export {applyPlanLogged, type ApplyRun} from './apply/apply-logged.js'
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
