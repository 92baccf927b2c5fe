import {readlink, realpath, stat} from 'node:fs/promises'
import {basename, dirname, resolve, sep} from 'node:path'

import {RemoteConnections} from './backend/remote-connections.js'
import {formatRootSpec, parseRootSpec, type RootSpec} from './backend/root-spec.js'
import {resolveSftpRoot} from './backend/sftp/resolve-sftp-root.js'
import {describeFsError, TreesyncError} from './errors.js'

/**
 * The two roots of a sync: a local one as its real absolute path (symlinks resolved), a
 * remote one as its canonical URL (`sftp://user@host:port/absolute/path`, resolved on the
 * server; `s3://bucket/prefix`). `parseRootSpec` tells the kinds apart: an absolute path
 * is always local.
 */
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
  /** The run's connections, for remote roots (default: connections opened for this call and closed after it). */
  remotes?: RemoteConnections
}

/**
 * Validates and resolves SOURCE and REPLICA, each a root spec (a local path, `host:path`,
 * `sftp://…` or `s3://…`): the source must be an existing directory, the replica a
 * directory or absent (its parent present, unless `mkpath`), and neither may contain the
 * other once symlinks are resolved (syncing a tree into itself would recurse or delete the
 * source). A remote root is resolved on its server, through a connection from
 * `options.remotes`; an S3 root's bucket must be reachable (a prefix needs no creating).
 */
export async function resolveRoots(sourceSpec: string, replicaSpec: string, options: RootOptions = {}): Promise<Roots> {
  const specs = {source: parseRootSpec(sourceSpec, 'SOURCE'), replica: parseRootSpec(replicaSpec, 'REPLICA')}
  if (specs.source.kind === 'local' && specs.replica.kind === 'local') return await resolveLocalRoots(specs.source.path, specs.replica.path, options)
  const {remotes} = options
  const connections = remotes ?? new RemoteConnections()
  try {
    const source = await resolveOne(specs.source, 'source', connections, options)
    const replica = await resolveOne(specs.replica, 'replica', connections, options)
    await refuseRemoteOverlap(connections, source.text, replica.text)
    return {source: source.text, replica: replica.text, replicaExists: replica.exists}
  } finally {
    if (!remotes) await connections.close()
  }
}

async function resolveOne(spec: RootSpec, role: 'source' | 'replica', remotes: RemoteConnections, options: RootOptions): Promise<{text: string; exists: boolean}> {
  if (spec.kind === 'sftp') return await resolveSftpRoot(spec, role, await remotes.ssh.session(spec), options)
  if (spec.kind === 's3') {
    await remotes.s3.checkBucket(spec)
    // A source prefix with no object under it is an empty tree, as it is to rclone and the aws CLI.
    return {text: formatRootSpec(spec), exists: true}
  }
  if (role === 'source') return {text: await resolveLocalSource(spec.path), exists: true}
  const {real, exists} = await resolveLocalReplica(spec.path, options)
  return {text: real, exists}
}

/**
 * Two remote folders on one server may still nest, however differently they are spelled
 * (an alias and its address, two users): refused like local ones, by the server's
 * identity and the paths as resolved there. Two prefixes of one bucket nest the same way.
 */
async function refuseRemoteOverlap(remotes: RemoteConnections, source: string, replica: string): Promise<void> {
  const [s, r] = await Promise.all([remotes.identityOf(source), remotes.identityOf(replica)])
  if (!s || !r || s.server !== r.server) return
  if (s.path === r.path) throw new TreesyncError('ROOTS_OVERLAP', `source and replica are the same directory: ${source} and ${replica}`, replica)
  if (isWithin(r.path, s.path)) throw new TreesyncError('ROOTS_OVERLAP', `replica ${replica} is inside source ${source}`, replica)
  if (isWithin(s.path, r.path)) throw new TreesyncError('ROOTS_OVERLAP', `source ${source} is inside replica ${replica}`, replica)
}

/** Two local folders: resolved, and refused when they are one folder or nest (by path, then by device and inode). */
async function resolveLocalRoots(source: string, replica: string, options: RootOptions): Promise<Roots> {
  const sourceReal = await resolveLocalSource(source)
  const {real: replicaReal, exists} = await resolveLocalReplica(replica, options)
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

async function resolveLocalSource(source: string): Promise<string> {
  const sourceAbs = resolve(source)
  try {
    const st = await stat(sourceAbs)
    if (!st.isDirectory()) throw new TreesyncError('SOURCE_NOT_DIR', `source is not a directory: ${source}`, source)
    return await realpath(sourceAbs)
  } catch (error) {
    if (error instanceof TreesyncError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TreesyncError('SOURCE_MISSING', `source directory does not exist: ${source}`, source)
    }
    throw new TreesyncError('SOURCE_MISSING', `cannot access source ${source}: ${describeFsError(error)}`, source)
  }
}

async function resolveLocalReplica(replica: string, options: RootOptions): Promise<{real: string; exists: boolean}> {
  const resolved = await resolveMaybeMissing(replica)
  if (!resolved.exists && !options.mkpath && !(await resolveMaybeMissing(dirname(resolve(replica)))).exists) {
    throw new TreesyncError(
      'REPLICA_NOT_DIR',
      `the replica's parent folder ${dirname(resolve(replica))} does not exist (check the path, or pass --mkpath to create it)`,
      replica,
    )
  }
  return resolved
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
