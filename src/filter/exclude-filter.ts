import {readFile} from 'node:fs/promises'

import ignore from 'ignore'

import {describeFsError, TreesyncError} from '../errors.js'
import {isInside} from '../tree/paths.js'

/** Decides whether a relative path is left out of the scan (neither copied nor deleted). */
export type ExcludeFn = (path: string, isDir: boolean) => boolean

/**
 * An exclude function with gitignore semantics (the `ignore` package): patterns are
 * relative to the roots, `dir/` matches directories only, a leading `/` anchors to the
 * root, `**` spans directories, `!pattern` re-includes. Like git, an entry inside an
 * excluded directory cannot be re-included (the directory is never entered).
 * Matching is case-sensitive, as in git on Linux and rsync: `readme.md` leaves
 * `README.md` in the mirror. Scanner threads build their filter here too.
 */
export function createExcludeFilter(patterns: readonly string[]): ExcludeFn | undefined {
  const lines = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'))
  if (lines.length === 0) return undefined
  let matcher: ReturnType<typeof ignore>
  try {
    // `ignore` folds case by default; a user who excludes readme.md did not exclude README.md.
    matcher = ignore({ignorecase: false}).add(lines)
  } catch (error) {
    throw new TreesyncError('BAD_INPUT', `invalid exclude pattern: ${error instanceof Error ? error.message : String(error)}`)
  }
  return (path, isDir) => matcher.ignores(isDir ? `${path}/` : path)
}

/** Reads patterns from a gitignore-style file: one per line, `#` comments, blank lines ignored. */
export async function readExcludeFile(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split(/\r?\n/)
  } catch (error) {
    throw new TreesyncError('BAD_INPUT', `cannot read exclude file ${path}: ${describeFsError(error)}`, path)
  }
}

/** An exclude function matching the given relative paths and everything under them. */
export function excludePaths(paths: readonly string[]): ExcludeFn {
  const set = new Set(paths)
  if (set.size === 0) return () => false
  return (path) => set.has(path) || paths.some((p) => isInside(path, p))
}

/** An exclude function that excludes what any of `filters` excludes. */
export function combineExcludes(...filters: Array<ExcludeFn | undefined>): ExcludeFn | undefined {
  const active = filters.filter((f): f is ExcludeFn => f !== undefined)
  if (active.length === 0) return undefined
  if (active.length === 1) return active[0]
  return (path, isDir) => active.some((f) => f(path, isDir))
}

/**
 * What a scan leaves out, as plain data so scanner threads can rebuild the filter:
 * gitignore `patterns` (the user's) and exact relative `paths` with everything under
 * them (treesync's own files inside a root).
 */
export interface ExcludeRules {
  patterns: readonly string[]
  paths: readonly string[]
}

/** The filter of a set of rules (undefined when nothing is excluded). */
export function compileExcludes(rules: ExcludeRules | undefined): ExcludeFn | undefined {
  if (!rules) return undefined
  return combineExcludes(rules.paths.length > 0 ? excludePaths(rules.paths) : undefined, createExcludeFilter(rules.patterns))
}
