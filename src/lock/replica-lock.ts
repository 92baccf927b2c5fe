import {createHash} from 'node:crypto'
import {chmod, mkdir, open, readFile, unlink} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {describeFsError, TreesyncError} from '../errors.js'

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number
  host: string
  since: string
  replica: string
}

/** A held lock; release it when done (idempotent). */
export interface ReplicaLock {
  path: string
  release(): Promise<void>
}

/**
 * Where every treesync process on this machine looks for replica locks, whatever its
 * user, environment or cache directory: a lock only works if all contenders see it.
 * Sticky and world-writable like /tmp itself, so users cannot remove each other's locks.
 */
export const REPLICA_LOCK_DIR = '/tmp/treesync-locks'

/**
 * Takes the lock that keeps two treesync processes from applying to one replica at once.
 * The lock file is named by a hash of the replica's real path and lives outside the
 * replica, which stays an exact mirror. A lock whose process is gone (killed, crashed) on
 * this host is stale and taken over; a live holder is refused with its pid.
 */
export async function acquireReplicaLock(
  replica: string,
  lockDir: string = REPLICA_LOCK_DIR,
  now: () => Date = () => new Date(),
): Promise<ReplicaLock> {
  const path = lockFilePath(replica, lockDir)
  await ensureLockDir(lockDir)
  const me: LockHolder = {pid: process.pid, host: hostname(), since: now().toISOString(), replica}
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(path, me)) return heldLock(path)
    const holder = await readHolder(path)
    if (holder && isAlive(holder)) {
      throw new TreesyncError(
        'LOCK_HELD',
        `replica ${replica} is locked by another treesync process (pid ${holder.pid} on ${holder.host}, since ${holder.since})`,
        replica,
      )
    }
    // Stale (its process is gone) or unreadable (a crash mid-write): take it over.
    await unlink(path).catch(() => undefined)
  }
  throw new TreesyncError('LOCK_HELD', `cannot take the lock for replica ${replica} (${path})`, replica)
}

async function ensureLockDir(lockDir: string): Promise<void> {
  try {
    if ((await mkdir(lockDir, {recursive: true})) !== undefined) await chmod(lockDir, 0o1777)
  } catch (error) {
    throw new TreesyncError('BAD_INPUT', `cannot create lock directory ${lockDir}: ${describeFsError(error)}`, lockDir)
  }
}

/** Where the lock for a replica (its real path) lives. */
export function lockFilePath(replica: string, lockDir: string = REPLICA_LOCK_DIR): string {
  return join(lockDir, `${createHash('sha256').update(replica).digest('hex').slice(0, 32)}.lock`)
}

async function tryCreate(path: string, me: LockHolder): Promise<boolean> {
  try {
    const handle = await open(path, 'wx')
    try {
      await handle.writeFile(JSON.stringify(me) + '\n')
    } finally {
      await handle.close()
    }
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new TreesyncError('BAD_INPUT', `cannot create lock file ${path}: ${describeFsError(error)}`, path)
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as LockHolder
    return Number.isInteger(holder.pid) && holder.pid > 0 ? holder : undefined
  } catch {
    return undefined
  }
}

/** A holder on another host cannot be checked, so it counts as alive. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true
  if (holder.pid === process.pid) return false
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function heldLock(path: string): ReplicaLock {
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      await unlink(path).catch(() => undefined)
    },
  }
}
