import {relative, sep} from 'node:path'

import type {Roots} from '../roots.js'
import {isWithin, realpathOfMaybeMissing} from '../roots.js'
import {isInside} from '../tree/paths.js'
import type {ExcludeFn} from './list-directory.js'

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

/** An exclude function matching the given relative paths and everything under them. */
export function excludePaths(paths: readonly string[]): ExcludeFn {
  const set = new Set(paths)
  if (set.size === 0) return () => false
  return (path) => set.has(path) || paths.some((p) => isInside(path, p))
}
