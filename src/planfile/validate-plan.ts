import {TreesyncError} from '../errors.js'
import type {Operation, Reason, ReplicaState} from '../plan/operation.js'
import {PLAN_FORMAT, PLAN_VERSION, summarize, type Plan, type PlanWarning} from '../plan/plan.js'
import {count, hex, Invalid, linkTarget, mode, mtime, object, oneOf, relativePath, string, type Json} from './json-fields.js'
import {entryCounts, readableVersion, rootCapabilities, rootText} from './validate-envelope.js'

const REASONS: readonly Reason[] = ['missing', 'extra', 'size', 'content', 'mtime', 'mode', 'type', 'target', 'moved']
const ENTRY_TYPES = ['file', 'dir', 'symlink'] as const

/**
 * Checks that an untrusted value is a plan treesync wrote (format version 1 or 2), field
 * by field, and returns it as a typed Plan of the current version. Any violation rejects
 * the whole plan: wrong format or version, a field of the wrong type, a root that is not
 * a canonical root spec, an unknown op or reason, or a path that is absolute, empty, has
 * `.`/`..` segments or a NUL (a backslash only where it would make one of those).
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
  const version = readableVersion(plan)
  const source = rootText(plan.source, 'source', version)
  const replica = rootText(plan.replica, 'replica', version)
  const createdAt = string(plan.createdAt, 'createdAt')
  if (Number.isNaN(Date.parse(createdAt))) throw new Invalid('createdAt is not a date')
  const compare = oneOf(plan.compare, ['md5', 'size-mtime'] as const, 'compare')
  if (!Array.isArray(plan.operations)) throw new Invalid('operations is not a list')
  const operations = plan.operations.map((op, i) => toOperation(op, `operations[${i}]`))
  const warnings = plan.warnings === undefined ? [] : toWarnings(plan.warnings)
  // Without counts (version 1 may lack them), the replica held at least what the plan
  // removes or moves, and the source at least what it makes or keeps.
  const removals = operations.filter((op) => op.op === 'delete' || op.op === 'rmdir' || op.op === 'rename').length
  const entries = entryCounts(plan, version, removals, operations.length - removals)
  if (plan.createsReplica !== undefined && plan.createsReplica !== true) throw new Invalid('createsReplica is not true')
  const capabilities = version === 1 ? undefined : rootCapabilities(plan.capabilities)
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
    entries,
    ...(plan.createsReplica ? {createsReplica: true as const} : {}),
    ...(capabilities ? {capabilities} : {}),
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
