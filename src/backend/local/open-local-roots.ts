import {mkdir} from 'node:fs/promises'

import type {Capabilities} from '../capabilities.js'
import {localRootPaths} from '../local-roots.js'
import {LocalBackend, type LocalBackendOptions} from './local-backend.js'

/** A sync's two local folders as backends. */
export interface LocalRoots {
  source: LocalBackend
  replica: LocalBackend
}

/**
 * Opens the source and replica folders of a plan as local backends, creating the replica
 * folder (and its parents) first: a plan into a missing replica creates it. `options` set
 * up the replica (backups, copy workers, an injected copy, its capabilities); the source
 * gets `sourceCapabilities`. Until root specs open backends of every kind, apply opens
 * its roots here.
 */
export async function openLocalRoots(
  source: string,
  replica: string,
  options: LocalBackendOptions = {},
  sourceCapabilities?: Capabilities,
): Promise<LocalRoots> {
  // A plan naming a remote root (a library caller's, without resolveRoots) is refused here,
  // never taken for a local folder named after it.
  const paths = localRootPaths(source, replica)
  await mkdir(paths.replica, {recursive: true})
  return {source: new LocalBackend(paths.source, {capabilities: sourceCapabilities}), replica: new LocalBackend(paths.replica, options)}
}
