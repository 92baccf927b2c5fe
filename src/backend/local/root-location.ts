import {realpath, stat} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {readMountOf, type Mount} from './mount-info.js'

/** Where a local root is, as the capability probe and its cache need it. */
export interface RootLocation {
  /** The root's real path; for a root not created yet, its nearest existing ancestor's real path and the rest. */
  realRoot: string
  /** The real path of the root, or of its nearest existing ancestor: where a probe writes (an apply creates the root there). */
  probeDir: string
  /** `st_dev` of `probeDir`: which filesystem it is on. */
  dev: number
  /** The mount holding `probeDir`; undefined where mounts cannot be read (not Linux). */
  mount: Mount | undefined
}

/** A missing path, or a path through something that is not a directory: look at its parent. */
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR'])

/** Finds a local root's real path, the directory to probe it in, its device and its mount. */
export async function locateRoot(root: string): Promise<RootLocation> {
  let existing = resolve(root)
  const rest: string[] = []
  let probeDir: string
  for (;;) {
    try {
      probeDir = await realpath(existing)
      break
    } catch (error) {
      if (!NOT_THERE.has((error as NodeJS.ErrnoException).code ?? '') || dirname(existing) === existing) throw error
      rest.unshift(basename(existing))
      existing = dirname(existing)
    }
  }
  const {dev} = await stat(probeDir)
  return {realRoot: join(probeDir, ...rest), probeDir, dev, mount: await readMountOf(probeDir)}
}
