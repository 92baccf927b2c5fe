import {chmod, lstat, open, stat, symlink, unlink, utimes} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {makeTempName} from '../../tree/temp-name.js'
import {FULL_CAPABILITIES, type Capabilities} from '../capabilities.js'
import {capabilitiesOfFilesystemType} from './filesystem-types.js'
import {PROBE_MTIME_SECONDS, precisionOfReadBack} from './mtime-precision.js'
import {restoreDirectoryMtime} from './restore-mtime.js'
import {locateRoot} from './root-location.js'

/** How to probe. */
export interface ProbeOptions {
  /** Called with the directory each time a probe writes there (tests count probes with it). */
  onProbe?: (dir: string) => void
}

/** What a probe found, and whether it could write (else the capabilities are the filesystem type's). */
export interface ProbeFinding {
  capabilities: Capabilities
  probed: boolean
}

/** The probe file cannot be created: the root is read-only to us, or full. */
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT'])

/** How filesystems refuse what they cannot keep (fusefat says ENOSYS, vfat EPERM, CIFS EOPNOTSUPP). */
const UNSUPPORTED = new Set(['EPERM', 'EACCES', 'ENOSYS', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL'])

function isUnsupported(error: unknown): boolean {
  return UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')
}

/** The mtime precision kept on `file`, if a step explains what it kept. */
async function probeMtimePrecision(file: string): Promise<number | undefined> {
  try {
    await utimes(file, PROBE_MTIME_SECONDS, PROBE_MTIME_SECONDS)
  } catch (error) {
    if (isUnsupported(error)) return undefined
    throw error
  }
  return precisionOfReadBack((await stat(file, {bigint: true})).mtimeNs)
}

/** True when two different modes set on `file` both read back (FAT ignores or refuses them). */
async function probeModes(file: string): Promise<boolean> {
  try {
    for (const mode of [0o640, 0o604]) {
      await chmod(file, mode)
      if (((await stat(file)).mode & 0o7777) !== mode) return false
    }
    return true
  } catch (error) {
    if (isUnsupported(error)) return false
    throw error
  }
}

/** True when a symlink can be made at `link` (its target need not exist). */
async function probeSymlinks(link: string, target: string): Promise<boolean> {
  try {
    await symlink(target, link)
    return (await lstat(link)).isSymbolicLink()
  } catch (error) {
    if (isUnsupported(error)) return false
    throw error
  }
}

/**
 * True when the upper-case spelling of `file`'s name finds nothing. The file written
 * has the lower-case name, so whatever a crash leaves behind is a temporary's name,
 * which the scanner skips and apply sweeps.
 */
async function probeCaseSensitivity(file: string): Promise<boolean> {
  try {
    await lstat(join(file, '..', basename(file).toUpperCase()))
    return false
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw error
  }
}

/**
 * Probes what the filesystem of directory `dir` keeps, by writing a temporary file (and a
 * symlink) there and reading back; all of it is removed and `dir`'s mtime put back. When
 * `dir` cannot be written, the capabilities are those of `fsType` (see filesystem-types.ts).
 */
export async function probeInDirectory(dir: string, fsType: string, options: ProbeOptions = {}): Promise<ProbeFinding> {
  const ofType = capabilitiesOfFilesystemType(fsType)
  const before = await stat(dir, {bigint: true})
  const file = join(dir, makeTempName())
  try {
    await (await open(file, 'wx', 0o600)).close()
  } catch (error) {
    if (UNWRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) return {capabilities: ofType, probed: false}
    throw error
  }
  options.onProbe?.(dir)
  const link = join(dir, makeTempName())
  try {
    const mtimePrecisionNs = (await probeMtimePrecision(file)) ?? ofType.mtimePrecisionNs
    const modes = await probeModes(file)
    const symlinks = await probeSymlinks(link, basename(file))
    const caseSensitive = await probeCaseSensitivity(file)
    return {capabilities: {...FULL_CAPABILITIES, mtimePrecisionNs, modes, symlinks, caseSensitive}, probed: true}
  } finally {
    // A probe file left behind has a temporary's name: the scanner skips it, apply sweeps it.
    await unlink(link).catch(() => undefined)
    await unlink(file).catch(() => undefined)
    await restoreDirectoryMtime(dir, before)
  }
}

/**
 * The capabilities of a local root, probed on its filesystem: in the root, or in its
 * nearest existing ancestor when the root is not created yet. A root that cannot be
 * written gets its filesystem type's. Takes a few system calls; see `localCapabilities`
 * for the cached form.
 */
export async function probeLocalCapabilities(root: string, options: ProbeOptions = {}): Promise<Capabilities> {
  const location = await locateRoot(root)
  return (await probeInDirectory(location.probeDir, location.mount?.fsType ?? '', options)).capabilities
}
