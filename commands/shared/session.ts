import {resolve} from 'node:path'

import {
  acquireReplicaLock,
  cacheDirectory,
  createStyle,
  Logger,
  preparePlanLogged,
  openRunCaches,
  resolveRoots,
  saveRunCaches,
  TreesyncError,
  streamSink,
  type CompareMode,
  type DeleteGuards,
  type LogSink,
  type PreparedPlan,
  type ReplicaLock,
  type Roots,
  type Style,
  type SyncSettings,
  type TreeHashCaches,
} from '../../src/index.js'
import {createExcludeFilter, readExcludeFile} from '../../src/filter/exclude-filter.js'
import {excludePatternWarnings} from '../../src/filter/pattern-warnings.js'
import {openLogFile, type FileSink} from '../../src/log/log-file.js'
import {colourWanted} from '../../src/render/style.js'
import {isWithin, realpathOfMaybeMissing} from '../../src/roots.js'
import {RemoteConnections} from '../../src/backend/remote-connections.js'
import {parseRootSpec} from '../../src/backend/root-spec.js'
import {remoteLockDir} from '../../src/lock/replica-lock.js'
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
  'ssh-key'?: string
  'known-hosts'?: string
  's3-endpoint'?: string
}

/** What a command works with: resolved roots, the logger, and output styles. */
export interface Session {
  roots: Roots
  /** Connections to remote roots, kept for the whole run (watch: across cycles). */
  remotes: RemoteConnections
  logger: Logger
  /** Styles for stdout and stderr, each coloured only on its own terminal. */
  out: Style
  err: Style
  /** How to sync, from the flags: passed as it is to planning, apply and every watch cycle. */
  settings: SyncSettings & {guards: DeleteGuards}
  /** Whether log lines also go to the console (apply, watch) or only to the log file (plan). */
  consoleLog: boolean
  /** Both trees' hash caches once `planSession` opened them (none with --no-cache or size-mtime). */
  hashCaches: TreeHashCaches | undefined
  /** Takes the replica lock until close(): no other treesync applies to it meanwhile. */
  lockReplica(): Promise<void>
  /** Saves the hash caches (once, at the end of the run), releases the lock, closes the log. */
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
  const remotes = new RemoteConnections({
    ssh: {sshKey: flags['ssh-key'], knownHosts: flags['known-hosts']},
    s3: {endpoint: flags['s3-endpoint'], cacheDir: flags['no-cache'] ? undefined : cacheDirectory(flags['cache-dir'])},
  })
  try {
    return await openSessionWith(remotes, source, replica, flags, consoleLog)
  } catch (error) {
    await remotes.close()
    throw error
  }
}

async function openSessionWith(
  remotes: RemoteConnections,
  source: string,
  replica: string,
  flags: SessionFlags,
  consoleLog: 'stdout' | 'stderr' | false,
): Promise<Session> {
  const roots = await resolveRoots(source, replica, {mkpath: flags.mkpath, remotes})
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
  const session: Session = {
    roots,
    remotes,
    logger,
    out: createStyle(colourWanted(process.stdout, process.env)),
    err: createStyle(colourWanted(process.stderr, process.env)),
    settings: {
      compare: flags.compare as CompareMode,
      modifyWindowSeconds: flags['modify-window'],
      excludePatterns,
      // The log, the plan being written, backups and caches: never part of the sync.
      ownFiles: [flags['log-file'], flags.out, backupDir, cacheDir].filter((p): p is string => p !== undefined),
      concurrency: flags.concurrency,
      cacheDir: flags['no-cache'] ? undefined : cacheDir,
      guards: {maxDelete: flags['max-delete'], allowDeleteAll: flags['allow-delete-all'] ?? false},
      backupDir,
      mkpath: flags.mkpath,
    },
    consoleLog: consoleLog !== false,
    hashCaches: undefined,
    async lockReplica() {
      // A remote replica's lock is keyed on where it is, not on how it was spelled.
      const identity = await remotes.identityOf(roots.replica)
      const standIn = identity ? remoteLockDir(cacheDir, `${identity.server} ${identity.path}`) : undefined
      lock ??= await acquireReplicaLock(roots.replica, {standIn})
    },
    async close() {
      await saveRunCaches(session.hashCaches, (warning) => {
        logger.warn(warning)
        // plan has no console log: like its other warnings, this one goes to stderr.
        if (!consoleLog) process.stderr.write(`warning: ${warning}\n`)
      })
      await lock?.release()
      await remotes.close()
      file?.close()
    },
  }
  return session
}

/** Scans and plans with a spinner; warnings are logged. Aborting `signal` stops it (INTERRUPTED). */
export async function planSession(session: Session, signal?: AbortSignal): Promise<PreparedPlan> {
  const spinner = await ScanSpinner.start()
  try {
    session.hashCaches ??= await openRunCaches(session.roots, session.settings)
    const prepared = await preparePlanLogged(session.roots, session.settings, {
      caches: session.hashCaches,
      logger: session.logger,
      onProgress: spinner.update,
      signal,
      remotes: session.remotes,
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
  if (parseRootSpec(roots.replica).kind !== 'local') {
    throw new TreesyncError('BAD_INPUT', `--backup-dir needs a local replica: ${roots.replica} is remote`, dir)
  }
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
