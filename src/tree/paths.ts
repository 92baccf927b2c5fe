/**
 * Relative paths inside a tree: `/`-separated, normalised, never absolute or empty.
 * One comparator orders them everywhere (manifests, plans, rendering).
 */

const SLASH = 0x2f

/**
 * Orders paths depth-first: a directory sorts right before its own entries, and a
 * subtree is one contiguous run. `/` ranks below every other character, so `a/b` comes
 * before `a-b`. Comparison is by UTF-16 code unit: byte-exact names, no normalisation.
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    if (ca === SLASH) return -1
    if (cb === SLASH) return 1
    return ca - cb
  }
  return a.length - b.length
}

/** The parent of a relative path, or `''` for a top-level entry. */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? '' : path.slice(0, i)
}

/** The last segment of a relative path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** Joins a relative directory path and an entry name. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`
}

/** True when `path` lies strictly inside `dir`. */
export function isInside(path: string, dir: string): boolean {
  return path.length > dir.length && path.charCodeAt(dir.length) === SLASH && path.startsWith(dir)
}

/** Every proper ancestor of a path, nearest first: `a/b/c` → `a/b`, `a`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = []
  for (let p = parentPath(path); p !== ''; p = parentPath(p)) out.push(p)
  return out
}

/** Number of segments: `a` is 1, `a/b` is 2. */
export function depthOf(path: string): number {
  let n = 1
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === SLASH) n++
  return n
}

/**
 * Why a string is not a valid relative path, or `undefined` when it is one. Plan files
 * are untrusted, so this is strict: no absolute paths, no empty, `.` or `..` segments,
 * no NUL. A backslash is an ordinary character in POSIX names (`a\b` is one file), but
 * a path that some tool reading `\` as a separator would see as escaping is refused too.
 */
export function relativePathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'is not a string'
  if (path === '') return 'is empty'
  if (path.includes('\0')) return 'contains a NUL byte'
  if (path.startsWith('/')) return 'is absolute'
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment'
    if (segment === '.' || segment === '..') return `has a "${segment}" segment`
  }
  if (path.includes('\\')) {
    if (path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'is absolute when backslashes are read as separators'
    if (path.split(/[\\/]/).some((s) => s === '..' || s === '.')) return 'has a "." or ".." segment when backslashes are read as separators'
  }
  return undefined
}
