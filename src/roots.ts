import {readlink, realpath, stat} from 'node:fs/promises'
import {basename, dirname, resolve, sep} from 'node:path'

import {localRootPaths} from './backend/local-roots.js'
import {describeFsError, TreesyncError} from './errors.js'

/** The two roots of a sync, as real absolute paths (symlinks resolved). */
export interface Roots {
  source: string
  replica: string
  /** False when the replica does not exist yet; apply creates it. */
  replicaExists: boolean
}

/** How roots are checked. */
export interface RootOptions {
  /**
   * Allow a replica whose parent folder is missing too (rsync's `--mkpath`): apply creates
   * the whole path. Without it a typo such as `/mnt/bakcup/x` is refused instead of
   * filling the root filesystem.
   */
  mkpath?: boolean
}

/**
 * Validates and resolves SOURCE and REPLICA: both are root specs naming local folders
 * (`host:path`, `sftp://…` and `s3://…` are refused before anything is touched, see
 * `localRootPaths`), the source must be an existing directory, the replica a directory or
 * absent (its parent present, unless `mkpath`), and neither may contain the other once
 * symlinks are resolved (syncing a tree into itself would recurse or delete the source).
 */
export async function resolveRoots(sourceSpec: string, replicaSpec: string, options: RootOptions = {}): Promise<Roots> {
  const {source, replica} = localRootPaths(sourceSpec, replicaSpec)
  const sourceAbs = resolve(source)
  let sourceReal: string
  try {
    const st = await stat(sourceAbs)
    if (!st.isDirectory()) throw new TreesyncError('SOURCE_NOT_DIR', `source is not a directory: ${source}`, source)
    sourceReal = await realpath(sourceAbs)
  } catch (error) {
    if (error instanceof TreesyncError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TreesyncError('SOURCE_MISSING', `source directory does not exist: ${source}`, source)
    }
    throw new TreesyncError('SOURCE_MISSING', `cannot access source ${source}: ${describeFsError(error)}`, source)
  }

  const {real: replicaReal, exists} = await resolveMaybeMissing(replica)
  if (!exists && !options.mkpath && !(await resolveMaybeMissing(dirname(resolve(replica)))).exists) {
    throw new TreesyncError(
      'REPLICA_NOT_DIR',
      `the replica's parent folder ${dirname(resolve(replica))} does not exist (check the path, or pass --mkpath to create it)`,
      replica,
    )
  }
  if (replicaReal === sourceReal) {
    throw new TreesyncError('ROOTS_OVERLAP', `source and replica are the same directory: ${sourceReal}`, replica)
  }
  if (isWithin(replicaReal, sourceReal)) {
    throw new TreesyncError('ROOTS_OVERLAP', `replica ${replica} is inside source ${source}`, replica)
  }
  if (isWithin(sourceReal, replicaReal)) {
    throw new TreesyncError('ROOTS_OVERLAP', `source ${source} is inside replica ${replica}`, replica)
  }
  await refuseAliases(source, sourceReal, replica, replicaReal)
  return {source: sourceReal, replica: replicaReal, replicaExists: exists}
}

/**
 * Bind mounts and similar aliases give one directory two real paths, which path
 * comparison cannot see; device and inode numbers can. Compares each root with the other
 * and with every existing ancestor of the other.
 */
async function refuseAliases(source: string, sourceReal: string, replica: string, replicaReal: string): Promise<void> {
  const identity = async (path: string): Promise<string | undefined> => {
    try {
      const st = await stat(path, {bigint: true})
      return `${st.dev}:${st.ino}`
    } catch {
      return undefined
    }
  }
  const chain = (path: string): string[] => {
    const out = [path]
    for (let p = dirname(path); p !== out.at(-1); p = dirname(p)) out.push(p)
    return out
  }
  const sourceId = await identity(sourceReal)
  const replicaId = await identity(replicaReal)
  if (sourceId !== undefined && sourceId === replicaId) {
    throw new TreesyncError('ROOTS_OVERLAP', `source and replica are the same directory (${source} and ${replica})`, replica)
  }
  for (const dir of chain(replicaReal).slice(1)) {
    if (sourceId !== undefined && (await identity(dir)) === sourceId) {
      throw new TreesyncError('ROOTS_OVERLAP', `replica ${replica} is inside source ${source}`, replica)
    }
  }
  for (const dir of chain(sourceReal).slice(1)) {
    if (replicaId !== undefined && (await identity(dir)) === replicaId) {
      throw new TreesyncError('ROOTS_OVERLAP', `source ${source} is inside replica ${replica}`, replica)
    }
  }
}

/**
 * Real path of a replica root that may not exist yet: the nearest existing ancestor
 * resolved, plus the missing tail. Refuses when it or something on the way is not a
 * directory.
 */
export async function resolveMaybeMissing(path: string): Promise<{real: string; exists: boolean}> {
  const abs = resolve(path)
  try {
    const st = await stat(abs)
    if (!st.isDirectory()) throw new TreesyncError('REPLICA_NOT_DIR', `replica exists but is not a directory: ${path}`, path)
    return {real: await realpath(abs), exists: true}
  } catch (error) {
    if (error instanceof TreesyncError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR') throw new TreesyncError('REPLICA_NOT_DIR', `a parent of the replica is not a directory: ${path}`, path)
    if (code !== 'ENOENT') throw new TreesyncError('REPLICA_NOT_DIR', `cannot access replica ${path}: ${describeFsError(error)}`, path)
    // A dangling symlink: creating the folder it names would be a guess about the user's intent.
    const target = await readlink(abs).catch(() => undefined)
    if (target !== undefined) {
      throw new TreesyncError('REPLICA_NOT_DIR', `${path} is a symbolic link to ${target}, which does not exist: create that folder or fix the link`, path)
    }
  }
  const parent = dirname(abs)
  if (parent === abs) return {real: abs, exists: false}
  const {real} = await resolveMaybeMissing(parent)
  return {real: resolve(real, basename(abs)), exists: false}
}

/**
 * Real path of any path, existing or not, file or directory: the nearest existing
 * ancestor resolved, plus the missing tail. Never throws (for checks on paths treesync
 * will write, such as a plan file or a backup dir).
 */
export async function realpathOfMaybeMissing(path: string): Promise<string> {
  const abs = resolve(path)
  try {
    return await realpath(abs)
  } catch {
    const parent = dirname(abs)
    return parent === abs ? abs : resolve(await realpathOfMaybeMissing(parent), basename(abs))
  }
}

/** True when `path` is strictly inside `dir` (both absolute and normalised). */
export function isWithin(path: string, dir: string): boolean {
  const prefix = dir.endsWith(sep) ? dir : dir + sep
  return path.startsWith(prefix)
}
