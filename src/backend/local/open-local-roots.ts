import {mkdir} from 'node:fs/promises'

import {LocalBackend, type LocalBackendOptions} from './local-backend.js'

/** A sync's two local folders as backends. */
export interface LocalRoots {
  source: LocalBackend
  replica: LocalBackend
}

/**
 * Opens the source and replica folders of a plan as local backends, creating the replica
 * folder (and its parents) first: a plan into a missing replica creates it. `options` set
 * up the replica (backups, copy workers, an injected copy). Until root specs open backends
 * of every kind, apply and verify open their roots here.
 */
export async function openLocalRoots(source: string, replica: string, options: LocalBackendOptions = {}): Promise<LocalRoots> {
  await mkdir(replica, {recursive: true})
  return {source: new LocalBackend(source), replica: new LocalBackend(replica, options)}
}
