/**
 * Errors the engine throws for conditions a user can act on. Each has a stable code and,
 * when it is about one path, that path. The CLI turns them into a one-line message and
 * exit code 1 in one place; anything else is a bug and is reported as such.
 */
export type ErrorCode =
  | 'SOURCE_MISSING'
  | 'SOURCE_NOT_DIR'
  | 'REPLICA_NOT_DIR'
  | 'ROOTS_OVERLAP'
  | 'BAD_ROOT'
  | 'ROOT_UNREACHABLE'
  | 'LOG_UNWRITABLE'
  | 'NOT_CONFIRMED'
  | 'PLAN_INVALID'
  | 'PLAN_STALE'
  | 'BAD_INPUT'
  | 'OPERATIONS_FAILED'
  | 'LOCK_HELD'
  | 'DELETE_GUARD'
  | 'INTERRUPTED'

export class TreesyncError extends Error {
  readonly code: ErrorCode
  readonly path: string | undefined

  constructor(code: ErrorCode, message: string, path?: string) {
    super(message)
    this.name = 'TreesyncError'
    this.code = code
    this.path = path
  }
}

/** True for errors that describe a user's situation rather than a defect. */
export function isTreesyncError(error: unknown): error is TreesyncError {
  return error instanceof TreesyncError
}

/**
 * What to record of a failure: its message (the short one for an fs error, whose own
 * message repeats the absolute path) and the path it is about: a treesync error's own
 * when it names one, else `fallbackPath` (the path being worked on), else the absolute
 * path an fs error carries.
 */
export function describeError(error: unknown, fallbackPath: string): {path: string; message: string}
export function describeError(error: unknown): {path: string | undefined; message: string}
export function describeError(error: unknown, fallbackPath?: string): {path: string | undefined; message: string} {
  if (!isTreesyncError(error)) return {path: fallbackPath ?? (error as NodeJS.ErrnoException | undefined)?.path, message: describeFsError(error)}
  return {path: error.path || fallbackPath, message: error.message}
}

/** A short, path-free description of a Node fs error (`permission denied`, …). */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
      return 'no such file or directory'
    case 'ENOTDIR':
      return 'not a directory'
    case 'EISDIR':
      return 'is a directory'
    case 'ENOTEMPTY':
      return 'directory not empty'
    case 'EEXIST':
      return 'already exists'
    case 'ENOSPC':
      return 'no space left on device'
    case 'EROFS':
      return 'read-only file system'
    case 'ELOOP':
      return 'too many levels of symbolic links'
    case 'ENAMETOOLONG':
      return 'file name too long'
    default:
      return error instanceof Error ? error.message : String(error)
  }
}
