import {isAbsolute, normalize} from 'node:path'

import {TreesyncError} from '../errors.js'
import type {Operation, Reason, ReplicaState} from '../plan/operation.js'
import {PLAN_FORMAT, PLAN_VERSION, summarize, type Plan, type PlanWarning} from '../plan/plan.js'
import {relativePathProblem} from '../tree/paths.js'

const REASONS: readonly Reason[] = ['missing', 'extra', 'size', 'content', 'mtime', 'mode', 'type', 'target', 'moved']
const ENTRY_TYPES = ['file', 'dir', 'symlink'] as const
const MD5 = /^[0-9a-f]{32}$/

/** A plan-file problem, located by a JSON path such as `operations[3].path`. */
class Invalid extends Error {}

type Json = Record<string, unknown>

/**
 * Checks that an untrusted value is a plan this version of treesync wrote, field by field,
 * and returns it as a typed Plan. Any violation rejects the whole plan: wrong format or
 * version, a field of the wrong type, an unknown op or reason, or a path that is absolute,
 * empty, has `.`/`..` segments or a NUL (a backslash only where it would make one of those).
 * Unknown extra fields are dropped.
 */
export function validatePlan(value: unknown, origin: string): Plan {
  try {
    return toPlan(value)
  } catch (error) {
    if (error instanceof Invalid) throw new TreesyncError('PLAN_INVALID', `plan file ${origin} is not valid: ${error.message}`, origin)
    throw error
  }
}

function toPlan(value: unknown): Plan {
  const plan = object(value, 'the document')
  if (plan.format !== PLAN_FORMAT) throw new Invalid(`format is ${JSON.stringify(plan.format)}, expected "${PLAN_FORMAT}"`)
  if (plan.version !== PLAN_VERSION) {
    throw new Invalid(`version ${JSON.stringify(plan.version)} is not supported (this treesync reads version ${PLAN_VERSION})`)
  }
  const source = absolutePath(plan.source, 'source')
  const replica = absolutePath(plan.replica, 'replica')
  const createdAt = string(plan.createdAt, 'createdAt')
  if (Number.isNaN(Date.parse(createdAt))) throw new Invalid('createdAt is not a date')
  const compare = oneOf(plan.compare, ['md5', 'size-mtime'] as const, 'compare')
  if (!Array.isArray(plan.operations)) throw new Invalid('operations is not a list')
  const operations = plan.operations.map((op, i) => toOperation(op, `operations[${i}]`))
  const warnings = plan.warnings === undefined ? [] : toWarnings(plan.warnings)
  // Older or hand-made plans may lack the count: then the removals are all we know of.
  const removals = operations.filter((op) => op.op === 'delete' || op.op === 'rmdir' || op.op === 'rename').length
  const replicaEntries = plan.replicaEntries === undefined ? removals : count(plan.replicaEntries, 'replicaEntries')
  // Likewise the entries the plan makes or keeps: the source holds at least those.
  const sourceEntries = plan.sourceEntries === undefined ? operations.length - removals : count(plan.sourceEntries, 'sourceEntries')
  if (plan.createsReplica !== undefined && plan.createsReplica !== true) throw new Invalid('createsReplica is not true')
  const summary = summarize(operations)
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    source,
    replica,
    createdAt,
    compare,
    operations,
    summary,
    warnings,
    replicaEntries,
    sourceEntries,
    ...(plan.createsReplica ? {createsReplica: true as const} : {}),
  }
}

function toOperation(value: unknown, at: string): Operation {
  const op = object(value, at)
  const path = relativePath(op.path, `${at}.path`)
  const reason = oneOf(op.reason, REASONS, `${at}.reason`)
  switch (op.op) {
    case 'mkdir':
      return {op: 'mkdir', path, reason, mode: mode(op.mode, `${at}.mode`), mtimeMs: mtime(op.mtimeMs, `${at}.mtimeMs`)}
    case 'create':
    case 'update': {
      const type = oneOf(op.type, ['file', 'symlink'] as const, `${at}.type`)
      const replica = op.op === 'update' ? {replica: replicaState(op.replica, `${at}.replica`)} : {}
      if (type === 'symlink') return {op: op.op, path, type, target: linkTarget(op.target, `${at}.target`), reason, ...replica} as Operation
      return {op: op.op, path, type, reason, ...fileAttributes(op, at), ...replica} as Operation
    }
    case 'meta':
      return {
        op: 'meta',
        path,
        type: oneOf(op.type, ['file', 'dir'] as const, `${at}.type`),
        reason,
        mode: mode(op.mode, `${at}.mode`),
        mtimeMs: mtime(op.mtimeMs, `${at}.mtimeMs`),
        replica: replicaState(op.replica, `${at}.replica`),
      }
    case 'rename': {
      const from = relativePath(op.from, `${at}.from`)
      if (from === path) throw new Invalid(`${at} renames a path onto itself`)
      const replica = replicaState(op.replica, `${at}.replica`)
      if (replica.type !== 'file') throw new Invalid(`${at}.replica.type must be "file" for a rename`)
      return {op: 'rename', from, path, type: 'file', reason: 'moved', ...fileAttributes(op, at), replica}
    }
    case 'delete':
      return {op: 'delete', path, type: oneOf(op.type, ['file', 'symlink'] as const, `${at}.type`), reason, replica: replicaState(op.replica, `${at}.replica`)}
    case 'rmdir':
      return {op: 'rmdir', path, reason, replica: replicaState(op.replica, `${at}.replica`)}
    default:
      throw new Invalid(`${at}.op ${JSON.stringify(op.op)} is not one of mkdir, create, update, meta, rename, delete, rmdir`)
  }
}

function fileAttributes(op: Json, at: string): {size: number; md5?: string; mode: number; mtimeMs: number} {
  const md5 = op.md5 === undefined ? {} : {md5: hex(op.md5, `${at}.md5`)}
  return {size: count(op.size, `${at}.size`), ...md5, mode: mode(op.mode, `${at}.mode`), mtimeMs: mtime(op.mtimeMs, `${at}.mtimeMs`)}
}

function replicaState(value: unknown, at: string): ReplicaState {
  const state = object(value, at)
  const out: ReplicaState = {type: oneOf(state.type, ENTRY_TYPES, `${at}.type`)}
  if (state.size !== undefined) out.size = count(state.size, `${at}.size`)
  if (state.mtimeMs !== undefined) out.mtimeMs = mtime(state.mtimeMs, `${at}.mtimeMs`)
  if (state.mode !== undefined) out.mode = mode(state.mode, `${at}.mode`)
  if (state.md5 !== undefined) out.md5 = hex(state.md5, `${at}.md5`)
  if (state.target !== undefined) out.target = linkTarget(state.target, `${at}.target`)
  return out
}

function toWarnings(value: unknown): PlanWarning[] {
  if (!Array.isArray(value)) throw new Invalid('warnings is not a list')
  return value.map((w, i) => {
    const warning = object(w, `warnings[${i}]`)
    const level = warning.level === undefined ? {} : {level: oneOf(warning.level, ['error'] as const, `warnings[${i}].level`)}
    return {path: string(warning.path, `warnings[${i}].path`), message: string(warning.message, `warnings[${i}].message`), ...level}
  })
}

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(`${at} is not an object`)
  return value as Json
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new Invalid(`${at} is not a string`)
  return value
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], at: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new Invalid(`${at} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`)
  }
  return value as T
}

function relativePath(value: unknown, at: string): string {
  const problem = relativePathProblem(value)
  if (problem) throw new Invalid(`${at} ${problem}`)
  return value as string
}

function absolutePath(value: unknown, at: string): string {
  const path = string(value, at)
  if (!isAbsolute(path) || path.includes('\0') || normalize(path) !== path) throw new Invalid(`${at} is not a normalised absolute path`)
  return path
}

function linkTarget(value: unknown, at: string): string {
  const target = string(value, at)
  if (target === '' || target.includes('\0')) throw new Invalid(`${at} is not a valid symlink target`)
  return target
}

function count(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Invalid(`${at} is not a non-negative integer`)
  return value as number
}

function mode(value: unknown, at: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0o7777) throw new Invalid(`${at} is not a permission mode`)
  return value as number
}

function mtime(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value)) throw new Invalid(`${at} is not a whole number of milliseconds`)
  return value as number
}

function hex(value: unknown, at: string): string {
  if (typeof value !== 'string' || !MD5.test(value)) throw new Invalid(`${at} is not an MD5 hex digest`)
  return value
}
