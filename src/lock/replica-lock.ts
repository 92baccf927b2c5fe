import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {createHash} from 'node:crypto'
import {lstat, mkdir, readdir, rmdir} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {describeFsError, TreesyncError} from '../errors.js'
import {findLockHolder, LOCK_MARKER, type LockHolder} from './lock-holder.js'

/** A held lock; release it when done (idempotent). */
export interface ReplicaLock {
  /** The directory locked: the replica root. */
  path: string
  release(): Promise<void>
}

/**
 * The helper that holds the lock: `flock -n DIR sh -c SCRIPT MARKER PID` takes the
 * kernel lock, says so, and keeps it until its stdin closes, which happens when treesync
 * releases it or dies in any way (kill -9 included). MARKER and PID on its command line
 * let a second process name the holder (lock-holder.ts).
 */
const HELPER_SCRIPT = 'echo locked; exec cat >/dev/null'
const LOCKED = 'locked\n'
/** How long a helper whose treesync process died may take to exit before we give up. */
const DYING_HOLDER_WAIT_MS = 3000
const RETRY_MS = 50
const RELEASE_TIMEOUT_MS = 2000

/**
 * Takes the lock that keeps two treesync processes, of any users, from applying to one
 * replica at once: an exclusive flock(2) on the replica root directory itself.
 *
 * - No file is created anywhere, so no user can squat a lock name in a shared directory,
 *   and the replica stays an exact mirror (no lock entry in it).
 * - The kernel drops the lock when its holder dies, so a lock left by a killed process of
 *   any user is never in the way, and pids that are reused or live in another pid
 *   namespace cannot make a dead lock look alive.
 * - Who may lock: anyone who can open the replica root for reading. A user who may read
 *   the replica can therefore hold its lock (a stuck `flock DIR sleep …`); the refusal
 *   names that process's pid and command, so it can be found.
 *
 * Node cannot call flock(2), so the util-linux `flock` command holds it, started in its
 * own session: a Ctrl-C meant for treesync does not reach it, and the lock stays held
 * while the operations in progress finish. A missing replica is created first (apply
 * would create it anyway) and removed again at release if nothing was put in it.
 */
export async function acquireReplicaLock(replica: string, options: {standIn?: string} = {}): Promise<ReplicaLock> {
  // A remote replica cannot be flock'ed: a local folder named after it stands in (see remoteLockDir).
  const dir = options.standIn ?? replica
  const created = await ensureDirectory(dir, options.standIn ? `the lock folder ${dir} of replica ${replica}` : `replica ${replica}`)
  try {
    const deadline = Date.now() + DYING_HOLDER_WAIT_MS
    for (;;) {
      const helper = await startHelper(dir, replica)
      if (helper) return heldLock(dir, helper, created)
      const holder = await findLockHolder(dir)
      if ((holder?.alive ?? true) || Date.now() > deadline) {
        throw new TreesyncError('LOCK_HELD', heldMessage(replica, holder), replica)
      }
      await sleep(RETRY_MS)
    }
  } catch (error) {
    if (created !== undefined) await removeIfUnused(dir, created)
    throw error
  }
}

/**
 * The local folder whose lock stands for a remote replica's: one per replica URL in the
 * cache directory, so two treesync runs of this user on this machine never apply to it at
 * once. (Runs on other machines are not excluded: SFTP and S3 have no lock that dies with
 * its holder.)
 */
export function remoteLockDir(cacheDir: string, replica: string): string {
  return join(cacheDir, 'locks', createHash('sha256').update(replica).digest('hex').slice(0, 32))
}

function heldMessage(replica: string, holder: LockHolder | undefined): string {
  if (!holder) return `replica ${replica} is locked by another process (its pid is not visible from here)`
  if (holder.command === undefined) return `replica ${replica} is locked by another treesync process (pid ${holder.pid})`
  return `replica ${replica} is locked by another process (pid ${holder.pid}, ${holder.command})`
}

/** Creates a missing folder to lock (`what` names it); returns its inode when this call created it. */
async function ensureDirectory(dir: string, what: string): Promise<bigint | undefined> {
  try {
    if ((await mkdir(dir, {recursive: true})) === undefined) return undefined
    return (await lstat(dir, {bigint: true})).ino
  } catch (error) {
    throw new TreesyncError('BAD_INPUT', `cannot create ${what}: ${describeFsError(error)}`, dir)
  }
}

/** A root created for the lock and left empty (apply refused or declined) is removed. */
async function removeIfUnused(replica: string, ino: bigint): Promise<void> {
  try {
    const st = await lstat(replica, {bigint: true})
    if (st.isDirectory() && st.ino === ino && (await readdir(replica)).length === 0) await rmdir(replica)
  } catch {
    // Changed or gone meanwhile: no longer ours to tidy.
  }
}

/** The helper holding the lock, or undefined when another process holds it. */
function startHelper(dir: string, replica: string): Promise<ChildProcessWithoutNullStreams | undefined> {
  return new Promise((resolve, reject) => {
    // `DIR/.`: flock(1) creates a missing lock file, and the replica must never become one.
    const child = spawn('flock', ['-n', `${dir}/.`, 'sh', '-c', HELPER_SCRIPT, LOCK_MARKER, String(process.pid)], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      if (out === LOCKED) resolve(child)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'the flock command (util-linux) is not installed' : describeFsError(error)
      reject(new TreesyncError('LOCK_HELD', `cannot lock replica ${replica}: ${why}`, replica))
    })
    child.on('close', (code) => {
      if (out === LOCKED) return
      // flock -n exits 1 without a word when the lock is held; anything else is a failure.
      if (code === 1 && err === '') resolve(undefined)
      else reject(new TreesyncError('LOCK_HELD', `cannot lock replica ${replica}: ${err.trim() || `flock exited with ${code}`}`, replica))
    })
  })
}

function heldLock(replica: string, helper: ChildProcessWithoutNullStreams, created: bigint | undefined): ReplicaLock {
  // The helper must not keep treesync running; it ends with treesync anyway.
  helper.unref()
  for (const stream of [helper.stdin, helper.stdout, helper.stderr]) (stream as unknown as {unref(): void}).unref()
  let released: Promise<void> | undefined
  return {
    path: replica,
    release() {
      released ??= (async () => {
        // Still under the lock, so no other process sees the root come and go.
        if (created !== undefined) await removeIfUnused(replica, created)
        await stopHelper(helper)
      })()
      return released
    },
  }
}

/** Closes the helper's stdin and waits for it to exit, so the lock is free on return. */
async function stopHelper(helper: ChildProcessWithoutNullStreams): Promise<void> {
  if (helper.exitCode !== null || helper.signalCode !== null) return
  const exited = new Promise<void>((resolve) => helper.once('exit', () => resolve()))
  helper.stdin.end()
  const timer = setTimeout(() => {
    try {
      process.kill(-helper.pid!, 'SIGKILL') // its whole process group: flock, sh, cat
    } catch {
      // Already gone.
    }
  }, RELEASE_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}
