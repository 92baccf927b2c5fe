import {hash32} from './prng.js'

/** The three benchmark trees of issue 5. */
export type TreeName = 'small' | 'large' | 'huge'

/** What a generated tree holds; the whole tree is a pure function of this value. */
export interface TreeSpec {
  name: TreeName
  files: number
  dirs: number
  minBytes: number
  maxBytes: number
  seed: number
}

/** One file of a tree, as generated (variant 0) or as rewritten by a change round (variant > 0). */
export interface FileSpec {
  index: number
  variant: number
  /** Relative to the tree's root, with `/`. */
  path: string
  size: number
  /** Whole seconds since the epoch: the same on every copy, never "racy" for a cache. */
  mtime: number
  /** Chooses the file's bytes (see content.ts). */
  contentKey: number
}

const ORIGINAL_MTIME = Date.UTC(2024, 0, 1) / 1000
const CHANGED_MTIME = Date.UTC(2025, 6, 1) / 1000
const YEAR_SECONDS = 365 * 24 * 3600

/** The directories of a tree in creation order: `dNN/dNN`, about sqrt(dirs) per level. */
export function dirPaths(spec: TreeSpec): string[] {
  const fanout = Math.max(1, Math.ceil(Math.sqrt(spec.dirs)))
  const width = String(fanout - 1).length
  const name = (n: number): string => `d${String(n).padStart(width, '0')}`
  const paths: string[] = []
  for (let d = 0; d < spec.dirs; d++) paths.push(`${name(Math.floor(d / fanout))}/${name(d % fanout)}`)
  return paths
}

/** The top-level directories that hold the leaf directories of `dirPaths`. */
export function topDirPaths(spec: TreeSpec): string[] {
  return [...new Set(dirPaths(spec).map((path) => path.slice(0, path.indexOf('/'))))]
}

/** File `index` of the tree; `variant` > 0 is its n-th deterministic rewrite (same path and size). */
export function fileAt(spec: TreeSpec, dirs: string[], index: number, variant = 0): FileSpec {
  const dir = dirs[hash32(spec.seed, index, 1) % dirs.length]
  const span = spec.maxBytes - spec.minBytes + 1
  const size = spec.minBytes + (hash32(spec.seed, index, 2) % span)
  const mtime = variant === 0 ? ORIGINAL_MTIME + (hash32(spec.seed, index, 3) % YEAR_SECONDS) : CHANGED_MTIME + variant
  return {index, variant, path: `${dir}/f${index}.bin`, size, mtime, contentKey: hash32(spec.seed, index, variant, 4)}
}

/** Fixed mtime given to every generated directory, so a copy is identical down to metadata. */
export const DIR_MTIME = ORIGINAL_MTIME
