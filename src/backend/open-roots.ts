import {mkdir} from 'node:fs/promises'

import type {Backend} from './backend.js'
import type {Capabilities} from './capabilities.js'
import {LocalBackend, type LocalBackendOptions} from './local/local-backend.js'
import {RemoteConnections} from './remote-connections.js'
import {parseRootSpec} from './root-spec.js'

/** A sync's two roots as backends; `close` releases what opening them took. */
export interface RootBackends {
  source: Backend
  replica: Backend
  close(): Promise<void>
}

/** How to open the roots of a plan or a sync; all optional. */
export interface OpenRootsOptions {
  /** How a local replica is set up (backups, copy workers, an injected copy, its capabilities). */
  localReplica?: LocalBackendOptions
  /** A local source's capabilities, as the plan recorded them. */
  localSourceCapabilities?: Capabilities
  /** Create the replica folder (and its parents) if missing: apply does, planning does not. */
  createReplica?: boolean
  /** The run's connections for remote roots (default: opened here, closed by `close`). */
  remotes?: RemoteConnections
}

/**
 * Opens SOURCE and REPLICA, as resolved (`resolveRoots`) or as a plan names them, as
 * backends of their kind.
 */
export async function openRootBackends(roots: {source: string; replica: string}, options: OpenRootsOptions = {}): Promise<RootBackends> {
  const remote = [roots.source, roots.replica].some((text) => parseRootSpec(text).kind !== 'local')
  const remotes = options.remotes ?? (remote ? new RemoteConnections() : undefined)
  const opened: Backend[] = []
  const close = async (): Promise<void> => {
    for (const backend of opened) await backend.close()
    if (!options.remotes) await remotes?.close()
  }
  try {
    opened.push(await openRootBackend(roots.source, 'source', {...options, remotes}))
    opened.push(await openRootBackend(roots.replica, 'replica', {...options, remotes}))
    return {source: opened[0]!, replica: opened[1]!, close}
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * Opens one root as a backend of its kind. A remote root needs `options.remotes` (the
 * caller closes them); the backend's own `close` releases the rest.
 */
export async function openRootBackend(text: string, role: 'source' | 'replica', options: OpenRootsOptions = {}): Promise<Backend> {
  const spec = parseRootSpec(text, role.toUpperCase())
  if (spec.kind === 'sftp') {
    if (!options.remotes) throw new Error(`opening ${text} needs the run's remote connections`)
    const {openSftpBackend} = await import('./sftp/open-sftp-backend.js')
    return await openSftpBackend(spec, text, options.remotes, role === 'replica' && options.createReplica === true)
  }
  if (spec.kind === 's3') {
    if (!options.remotes) throw new Error(`opening ${text} needs the run's remote connections`)
    return await options.remotes.s3.backend(spec, text)
  }
  const path = spec.path
  if (role === 'source') return new LocalBackend(path, {capabilities: options.localSourceCapabilities})
  if (options.createReplica) await mkdir(path, {recursive: true})
  return new LocalBackend(path, options.localReplica)
}
