import {readFile} from 'node:fs/promises'

/** One line of `/proc/self/mountinfo`: a mount of this process's mount namespace. */
export interface Mount {
  /** The mount's id (unique among current mounts; reused after an unmount). */
  id: number
  /** Absolute path where it is mounted. */
  mountPoint: string
  /** The filesystem type, as the kernel names it (`ext4`, `vfat`, `fuse.fusefat`, …). */
  fsType: string
  /** Per-mount options (`ro` or `rw` first). */
  options: readonly string[]
}

/** The file the kernel describes this process's mounts in (Linux only). */
export const MOUNT_INFO_FILE = '/proc/self/mountinfo'

/** Undoes the octal escapes the kernel writes for space, tab, newline and backslash. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/**
 * The mounts listed in the text of a mountinfo file, in its order (a later mount on the
 * same point hides an earlier one). Lines that are not in the kernel's format are skipped.
 *
 *     36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *     id parent dev root point options [optional fields…] - type source super-options
 */
export function parseMountInfo(text: string): Mount[] {
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-', 6)
    const id = Number(fields[0])
    const fsType = fields[separator + 1]
    if (separator < 0 || !Number.isInteger(id) || !fields[4]?.startsWith('/') || !fsType) continue
    mounts.push({id, mountPoint: unescapeField(fields[4]), fsType: unescapeField(fsType), options: fields[5]!.split(',')})
  }
  return mounts
}

/** True when `path` is `dir` or inside it (both absolute and normalised). */
function isWithin(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/')
}

/**
 * The mount that holds an absolute real path (no symlinks, no `..`): the one with the
 * longest mount point containing it, the last listed among equals (it hides the others).
 */
export function mountContaining(mounts: readonly Mount[], realPath: string): Mount | undefined {
  let found: Mount | undefined
  for (const mount of mounts) {
    if (!isWithin(realPath, mount.mountPoint)) continue
    if (!found || mount.mountPoint.length >= found.mountPoint.length) found = mount
  }
  return found
}

/**
 * The mount that holds an absolute real path, read from this process's mountinfo.
 * Undefined where there is no such file (not Linux): callers then know no type.
 */
export async function readMountOf(realPath: string, mountInfoFile = MOUNT_INFO_FILE): Promise<Mount | undefined> {
  let text: string
  try {
    text = await readFile(mountInfoFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return mountContaining(parseMountInfo(text), realPath)
}
