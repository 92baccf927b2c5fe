import {mkdir} from 'node:fs/promises'

import type {Capabilities} from '../capabilities.js'
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
  await mkdir(replica, {recursive: true})
  return {source: new LocalBackend(source, {capabilities: sourceCapabilities}), replica: new LocalBackend(replica, options)}
}
