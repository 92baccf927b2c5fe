import type {ExcludeRules} from './filter/exclude-filter.js'
import {exactComparison, type Comparison} from './plan/equality.js'
import type {DeleteGuards} from './plan/guards.js'
import type {CompareMode} from './plan/plan.js'

/**
 * How to sync, as the command line asked: built once from the flags, then passed as it is
 * to planning, to every watch cycle and to apply. Plain data; only `compare` is required
 * (a library caller's defaults: nothing excluded, no cache, the default guards).
 */
export interface SyncSettings {
  /** How files are judged equal: by MD5 (size first), or by size and mtime. */
  compare: CompareMode
  /** `--modify-window`: mtimes this many seconds apart are equal (undefined: from the roots' precision). */
  modifyWindowSeconds?: number
  /** The user's exclude patterns (gitignore syntax, relative to the roots). */
  excludePatterns?: readonly string[]
  /** treesync's own files (log file, plan file, cache dir, backups): left out of both trees wherever they are. */
  ownFiles?: readonly string[]
  /** Most filesystem operations in flight, and most threads scanning, the calling one included (default: from the core count). */
  concurrency?: number
  /** Where the hash caches are kept; undefined: none (`--no-cache`). */
  cacheDir?: string
  /** Limits on what a plan may remove (`--max-delete`, `--allow-delete-all`). */
  guards?: DeleteGuards
  /** Where removed and overwritten files are moved instead (`--backup-dir`). */
  backupDir?: string
  /** Create the replica's missing parent folders (`--mkpath`). */
  mkpath?: boolean
  /** Entries scanned on the calling thread before scanner threads start (tests lower it). */
  inlineEntries?: number
}

/**
 * What the scan of one pair of roots needs of the settings: plain data, posted as it is to
 * scanner threads. Only the exclusions differ from the sync's: they are made relative to
 * the roots (treesync's own files inside them become paths).
 */
export interface ScanSettings extends Pick<SyncSettings, 'concurrency' | 'inlineEntries'> {
  /** How entries are judged equal (the settings' `compare`, at the roots' precision): pairs already equal are left out. */
  comparison: Comparison
  /** What the scan leaves out of both trees. */
  exclude: ExcludeRules
}

/**
 * The scan settings of a sync whose own files lie at `ownPaths` inside the roots, comparing
 * as `comparison` says (default: exactly, between two full POSIX trees).
 */
export function scanSettingsOf(settings: SyncSettings, ownPaths: readonly string[], comparison: Comparison = exactComparison(settings.compare)): ScanSettings {
  const {concurrency, inlineEntries} = settings
  return {comparison, concurrency, inlineEntries, exclude: {patterns: settings.excludePatterns ?? [], paths: ownPaths}}
}
