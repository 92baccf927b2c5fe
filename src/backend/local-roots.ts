import {TreesyncError} from '../errors.js'
import {quotePath} from '../render/quote-path.js'
import {parseRootSpec, type RootKind, type RootSpec} from './root-spec.js'

/** How people call each kind of root, in messages. */
export const ROOT_KIND_NAMES: Readonly<Record<RootKind, string>> = Object.freeze({local: 'local', sftp: 'SFTP', s3: 'S3'})

/**
 * The local paths SOURCE and REPLICA name. Both are parsed first (a malformed one is
 * BAD_ROOT), then a root of a kind with no backend yet is refused (ROOT_UNSUPPORTED):
 * never taken for a local folder named after it, so nothing is created for it.
 */
export function localRootPaths(source: string, replica: string): {source: string; replica: string} {
  const specs = {source: parseRootSpec(source, 'SOURCE'), replica: parseRootSpec(replica, 'REPLICA')}
  return {source: localPathOf(specs.source, source, 'SOURCE'), replica: localPathOf(specs.replica, replica, 'REPLICA')}
}

/**
 * A local spec's path; any other kind is refused with one line naming the argument as
 * given (`text`). An rsync-style one may have been meant as a local folder with a colon
 * in its name: the message says how to write that.
 */
export function localPathOf(spec: RootSpec, text: string, role: string): string {
  if (spec.kind === 'local') return spec.path
  const shown = quotePath(text)
  const local = spec.kind === 'sftp' && !/^sftp:\/\//i.test(text) ? ` (for a local folder of that name, write ./${shown})` : ''
  throw new TreesyncError(
    'ROOT_UNSUPPORTED',
    `${ROOT_KIND_NAMES[spec.kind]} roots are not supported yet (support is coming): ${role} ${shown}${local}`,
    text,
  )
}
