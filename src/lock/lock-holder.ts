import {readFile, stat} from 'node:fs/promises'

/**
 * The argument that marks a lock helper's command line; the pid of the treesync process
 * that started it follows (see replica-lock.ts). A kernel lock records no owner of its
 * own that other users can read, so the holder is found through /proc.
 */
export const LOCK_MARKER = 'treesync-replica-lock'

/** Who holds the kernel lock on a directory, as far as this machine's /proc shows. */
export interface LockHolder {
  /** The treesync process holding it, or the holding process itself if it is not treesync. */
  pid: number
  /** The holder's command name when it is not a treesync lock helper (someone ran `flock DIR …`). */
  command: string | undefined
  /**
   * False when the holder is the helper of a treesync process that is gone (killed): the
   * helper sees its stdin close and exits within moments, and the lock with it.
   */
  alive: boolean
}

/**
 * Finds the process holding a flock(2) on `dir` from /proc/locks (matched by device and
 * inode), then reads its command line. Undefined when no holder is visible: not Linux, or
 * the holder lives in another pid namespace.
 */
export async function findLockHolder(dir: string): Promise<LockHolder | undefined> {
  let locks: string
  let st: {dev: bigint; ino: bigint}
  try {
    ;[locks, st] = await Promise.all([readFile('/proc/locks', 'utf8'), stat(dir, {bigint: true})])
  } catch {
    return undefined
  }
  const pid = lockingPid(locks, st.dev, st.ino)
  if (pid === undefined) return undefined
  const args = (await readProc(pid, 'cmdline'))?.split('\0') ?? []
  const marker = args.indexOf(LOCK_MARKER)
  if (marker < 0) return {pid, command: (await readProc(pid, 'comm'))?.trim(), alive: true}
  const owner = Number(args[marker + 1])
  const parent = /^PPid:\s*(\d+)$/m.exec((await readProc(pid, 'status')) ?? '')?.[1]
  // The helper is the owner's child until the owner dies; then it is reparented at once.
  const alive = parent === undefined ? isRunning(owner) : Number(parent) === owner
  return {pid: owner, command: undefined, alive}
}

/**
 * The pid in the FLOCK line of /proc/locks for this device and inode. Lines read
 * `1: FLOCK  ADVISORY  WRITE 6246 fe:00:2197873 0 EOF`; waiters (`1: -> FLOCK …`) are
 * skipped. Some filesystems (btrfs subvolumes, overlayfs) report another device number
 * in stat than in /proc/locks, so an inode matched alone is accepted when it is the only one.
 */
export function lockingPid(locks: string, dev: bigint, ino: bigint): number | undefined {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n)
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n)
  const exact: number[] = []
  const sameInode: number[] = []
  for (const line of locks.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields[1] !== 'FLOCK') continue
    const [maj, min, inode] = (fields[5] ?? '').split(':')
    const pid = Number(fields[4])
    if (inode === undefined || BigInt(inode) !== ino || !(pid > 0)) continue
    sameInode.push(pid)
    if (BigInt(`0x${maj}`) === major && BigInt(`0x${min}`) === minor) exact.push(pid)
  }
  return exact[0] ?? (sameInode.length === 1 ? sameInode[0] : undefined)
}

async function readProc(pid: number, file: string): Promise<string | undefined> {
  return readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => undefined)
}

/** A process of any user counts: EPERM means it exists. */
function isRunning(pid: number): boolean {
  if (!(pid > 0)) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
