/**
 * Exclude patterns are matched against paths relative to the roots, which never hold a
 * `.` or `..` segment and never start with a root's own absolute path. A pattern written
 * like a filesystem path (`./build`, `../x`, `/home/me/src/build`) is accepted by the
 * gitignore syntax but excludes nothing, and the files the user meant to leave out are
 * synced. Such patterns get a warning naming the form that works.
 */

/** What `createExcludeFilter` ignores: blank lines and comments. */
function isPatternLine(line: string): boolean {
  return line !== '' && !line.startsWith('#')
}

/**
 * Warnings for patterns that can never match, or match something else than they seem
 * to: one sentence each, naming the pattern and, where there is one, the form that works.
 * `roots` are the absolute paths of SOURCE and REPLICA (as given and as resolved).
 */
export function excludePatternWarnings(patterns: readonly string[], roots: readonly string[]): string[] {
  const warnings: string[] = []
  for (const line of patterns.map((p) => p.trim()).filter(isPatternLine)) {
    const warning = patternProblem(line, roots)
    if (warning !== undefined && !warnings.includes(warning)) warnings.push(warning)
  }
  return warnings
}

function patternProblem(line: string, roots: readonly string[]): string | undefined {
  const negated = line.startsWith('!')
  // `\!` and `\#` escape a leading `!` or `#`; the rest of the pattern is what matches.
  const body = negated ? line.slice(1) : line.replace(/^\\(?=[!#])/, '')
  const bang = negated ? '!' : ''
  const root = roots.find((r) => r !== '/' && (body === r || body === `${r}/` || body.startsWith(`${r}/`)))
  if (root !== undefined) {
    const rest = body.slice(root.length + 1)
    return rest === '' || rest === '/'
      ? `exclude pattern "${line}" names a root itself and matches nothing: patterns are relative to the roots`
      : `exclude pattern "${line}" is an absolute path and matches nothing: patterns are relative to the roots (did you mean "${bang}/${rest}"?)`
  }
  const segments = body.replace(/^\/+|\/+$/g, '').split('/')
  if (segments.includes('..')) {
    return `exclude pattern "${line}" can never match: paths inside the roots have no ".." segments, and nothing outside them is synced`
  }
  if (segments.includes('.')) {
    const fixed = body.replace(/^(\.\/)+/, '/').replace(/\/(\.\/)+/g, '/')
    const hint = fixed.split('/').includes('.') ? '' : ` (did you mean "${bang}${fixed}"?)`
    return `exclude pattern "${line}" can never match: paths inside the roots have no "." segments${hint}`
  }
  return undefined
}
