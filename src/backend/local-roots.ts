import {TreesyncError} from '../errors.js'
import {quotePath} from '../render/quote-path.js'
import type {RootKind, RootSpec} from './root-spec.js'

/** How people call each kind of root, in messages. */
export const ROOT_KIND_NAMES: Readonly<Record<RootKind, string>> = Object.freeze({local: 'local', sftp: 'SFTP', s3: 'S3'})

/**
 * A local spec's path. A root of a kind with no backend yet (S3) is refused with one line
 * naming the argument as given (`text`), ROOT_UNSUPPORTED: never taken for a local folder
 * named after it, so nothing is created for it.
 */
export function localPathOf(spec: RootSpec, text: string, role: string): string {
  if (spec.kind === 'local') return spec.path
  throw new TreesyncError('ROOT_UNSUPPORTED', `${ROOT_KIND_NAMES[spec.kind]} roots are not supported yet (support is coming): ${role} ${quotePath(text)}`, text)
}
