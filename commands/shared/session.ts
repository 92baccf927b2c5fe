import {resolve} from 'node:path'

import {
  acquireReplicaLock,
  cacheDirectory,
  colourWanted,
  createExcludeFilter,
  createStyle,
  excludePatternWarnings,
  Logger,
  openLogFile,
  preparePlanLogged,
  isWithin,
  readExcludeFile,
  realpathOfMaybeMissing,
  resolveRoots,
  TreesyncError,
  streamSink,
  type CompareMode,
  type DeleteGuards,
  type FileSink,
  type LogSink,
  type PreparedPlan,
  type ReplicaLock,
  type Roots,
  type Style,
} from '../../src/index.js'
import {ScanSpinner} from './progress.js'

/** Flag values a planning command passes in (after oclif parsed them). */
export interface SessionFlags {
  compare: string
  'modify-window'?: number
  concurrency?: number
  'log-file'?: string
  /** A plan file being written (plan --out): like the log file, never part of the sync. */
  out?: string
  'cache-dir'?: string
  exclude?: string[]
  'exclude-from'?: string
  'max-delete'?: number
  'backup-dir'?: string
  'allow-delete-all'?: boolean
  'no-cache'?: boolean
  mkpath?: boolean
}

/** What a command works with: resolved roots, the logger, and output styles. */
export interface Session {
  roots: Roots
  logger: Logger
  /** Styles for stdout and stderr, each coloured only on its own terminal. */
  out: Style
  err: Style
  compare: CompareMode
  /** `--modify-window`, in seconds (undefined: from the roots' precision). */
  modifyWindowSeconds: number | undefined
  concurrency: number | undefined
  /** Whether log lines also go to the console (apply, watch) or only to the log file (plan). */
  consoleLog: boolean
  /** Where hash caches are kept, or undefined with --no-cache. */
  hashCacheDir: string | undefined
  /** The user's --exclude / --exclude-from patterns (checked: they compile). */
  excludePatterns: string[]
  guards: DeleteGuards
  backupDir: string | undefined
  /** treesync's own files (log, plan, backups): never part of the sync. */
  ownFiles: string[]
  /** Takes the replica lock until close(): no other treesync applies to it meanwhile. */
  lockReplica(): Promise<void>
  close(): Promise<void>
}

/**
 * Validates the inputs (roots, log file) before anything is read or written, then sets up
 * logging: to the log file if given, and to the console stream `consoleLog` names.
 */
export async function openSession(
  source: string,
  replica: string,
  flags: SessionFlags,
  consoleLog: 'stdout' | 'stderr' | false,
): Promise<Session> {
  const roots = await resolveRoots(source, replica, {mkpath: flags.mkpath})
  const sinks: LogSink[] = []
  let file: FileSink | undefined
  if (flags['log-file']) sinks.push((file = openLogFile(flags['log-file'])))
  if (consoleLog) sinks.push(streamSink(consoleLog === 'stdout' ? process.stdout : process.stderr))
  const cacheDir = cacheDirectory(flags['cache-dir'])
  const patterns = [...(flags.exclude ?? []), ...(flags['exclude-from'] ? await readExcludeFile(flags['exclude-from']) : [])]
  const backupDir = flags['backup-dir'] ? await checkBackupDir(flags['backup-dir'], roots) : undefined
  const logger = new Logger(sinks)
  const excludePatterns = checkedPatterns(patterns)
  for (const warning of excludePatternWarnings(excludePatterns, [roots.source, roots.replica, resolve(source), resolve(replica)])) {
    logger.warn(warning)
    // plan has no console log: like its other warnings, this one goes to stderr.
    if (!consoleLog) process.stderr.write(`warning: ${warning}\n`)
  }
  let lock: ReplicaLock | undefined
  return {
    roots,
    logger,
    out: createStyle(colourWanted(process.stdout, process.env)),
    err: createStyle(colourWanted(process.stderr, process.env)),
    compare: flags.compare as CompareMode,
    modifyWindowSeconds: flags['modify-window'],
    concurrency: flags.concurrency,
    consoleLog: consoleLog !== false,
    hashCacheDir: flags['no-cache'] ? undefined : cacheDir,
    excludePatterns,
    guards: {maxDelete: flags['max-delete'], allowDeleteAll: flags['allow-delete-all'] ?? false},
    backupDir,
    ownFiles: [flags['log-file'], flags.out, backupDir, cacheDir].filter((p): p is string => p !== undefined),
    async lockReplica() {
      lock ??= await acquireReplicaLock(roots.replica)
    },
    async close() {
      await lock?.release()
      file?.close()
    },
  }
}

/** Scans and plans with a spinner; warnings are logged. Aborting `signal` stops it (INTERRUPTED). */
export async function planSession(session: Session, signal?: AbortSignal): Promise<PreparedPlan> {
  const spinner = await ScanSpinner.start()
  try {
    const prepared = await preparePlanLogged(session.roots, {
      compare: session.compare,
      concurrency: session.concurrency,
      cacheDir: session.hashCacheDir,
      excludePatterns: session.excludePatterns,
      ownFiles: session.ownFiles,
      logger: session.logger,
      onProgress: spinner.update,
      signal,
    })
    // plan has no console log; its cache warnings would otherwise go unseen.
    if (!session.consoleLog) for (const notice of prepared.notices) process.stderr.write(`warning: ${notice}\n`)
    return prepared
  } finally {
    spinner.stop()
  }
}

/**
 * A backup dir may sit inside a root (it is then excluded from the sync), but it may not
 * be a root or contain one: backups would be synced, or would grow on every run.
 */
async function checkBackupDir(dir: string, roots: Roots): Promise<string> {
  const real = await realpathOfMaybeMissing(dir)
  for (const root of [roots.source, roots.replica]) {
    if (real === root || isWithin(root, real)) {
      throw new TreesyncError('BAD_INPUT', `--backup-dir ${dir} must not be SOURCE or REPLICA, nor contain them`, dir)
    }
  }
  return real
}

/** The patterns, once they are known to compile (a bad pattern is a one-line error now, not mid-scan). */
function checkedPatterns(patterns: string[]): string[] {
  createExcludeFilter(patterns)
  return patterns
}
