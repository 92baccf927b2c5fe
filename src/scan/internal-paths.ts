import {relative, sep} from 'node:path'

import type {Roots} from '../roots.js'
import {isWithin, realpathOfMaybeMissing} from '../roots.js'

/**
 * Relative paths of treesync's own files (log file, cache, backup dir) that sit inside
 * either root. They are excluded from both trees: never copied, never deleted.
 */
export async function internalRelativePaths(roots: Roots, paths: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const path of paths) {
    const real = await realpathOfMaybeMissing(path)
    for (const root of [roots.source, roots.replica]) {
      if (isWithin(real, root)) out.push(relative(root, real).split(sep).join('/'))
    }
  }
  return out
}
