import type {Entry} from './entry.js'
import {comparePaths} from './paths.js'

/**
 * Walks two entry lists sorted by `comparePaths` together, calling `visit` once per path
 * with the entry each side has there (undefined on the side that lacks it).
 */
export function mergeByPath(a: readonly Entry[], b: readonly Entry[], visit: (a: Entry | undefined, b: Entry | undefined) => void): void {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const order = i >= a.length ? 1 : j >= b.length ? -1 : comparePaths(a[i]!.path, b[j]!.path)
    visit(order <= 0 ? a[i] : undefined, order >= 0 ? b[j] : undefined)
    if (order <= 0) i++
    if (order >= 0) j++
  }
}
