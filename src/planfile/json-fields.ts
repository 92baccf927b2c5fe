import {isAbsolute, normalize} from 'node:path'

import {relativePathProblem} from '../tree/paths.js'

/** A plan-file problem, located by a JSON path such as `operations[3].path`. */
export class Invalid extends Error {}

/** A parsed JSON object whose fields are not checked yet. */
export type Json = Record<string, unknown>

const MD5 = /^[0-9a-f]{32}$/

/** The value as an object (not null, not a list). */
export function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(`${at} is not an object`)
  return value as Json
}

/** The value as a string. */
export function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new Invalid(`${at} is not a string`)
  return value
}

/** The value as a boolean. */
export function boolean(value: unknown, at: string): boolean {
  if (typeof value !== 'boolean') throw new Invalid(`${at} is not true or false`)
  return value
}

/** The value, when it is one of `allowed`. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[], at: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new Invalid(`${at} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`)
  }
  return value as T
}

/** A path relative to a root, by the rules of `relativePathProblem`. */
export function relativePath(value: unknown, at: string): string {
  const problem = relativePathProblem(value)
  if (problem) throw new Invalid(`${at} ${problem}`)
  return value as string
}

/** An absolute, normalised local path without NUL. */
export function absolutePath(value: unknown, at: string): string {
  const path = string(value, at)
  if (!isAbsolute(path) || path.includes('\0') || normalize(path) !== path) throw new Invalid(`${at} is not a normalised absolute path`)
  return path
}

/** A symlink's target text: anything but empty or NUL. */
export function linkTarget(value: unknown, at: string): string {
  const target = string(value, at)
  if (target === '' || target.includes('\0')) throw new Invalid(`${at} is not a valid symlink target`)
  return target
}

/** A non-negative safe integer (a size, a count). */
export function count(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Invalid(`${at} is not a non-negative integer`)
  return value as number
}

/** Permission bits, 0 to 0o7777. */
export function mode(value: unknown, at: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0o7777) throw new Invalid(`${at} is not a permission mode`)
  return value as number
}

/** A whole number of milliseconds since the epoch (negative before 1970). */
export function mtime(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value)) throw new Invalid(`${at} is not a whole number of milliseconds`)
  return value as number
}

/** A lowercase MD5 hex digest. */
export function hex(value: unknown, at: string): string {
  if (typeof value !== 'string' || !MD5.test(value)) throw new Invalid(`${at} is not an MD5 hex digest`)
  return value
}
