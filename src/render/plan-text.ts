import Table from 'cli-table3'

import type {Operation} from '../plan/operation.js'
import type {Plan, PlanSummary, PlanWarning} from '../plan/plan.js'
import {comparePaths} from '../tree/paths.js'
import type {FileDiff} from '../diff/update-diffs.js'
import {renderCapabilities} from './capabilities-text.js'
import {renderFileDiff} from './diff-text.js'
import {formatBytes} from './format-bytes.js'
import {quotePath} from './quote-path.js'
import type {Style} from './style.js'

/** The Terraform-like symbol of each op. */
export const SIGILS: Record<Operation['op'], string> = {
  mkdir: '+',
  create: '+',
  update: '~',
  meta: '~',
  rename: '>',
  delete: '-',
  rmdir: '-',
}

/**
 * Renders a plan for people: one line per operation, a summary table, and a last line
 * that starts with `Plan:` (or `No changes.`). Reads only the plan's JSON shape, so a
 * saved plan renders exactly like a fresh one.
 */
export function renderPlan(plan: Plan, style: Style, diffs: readonly FileDiff[] = []): string {
  const limits = renderCapabilities(plan, plan.capabilities).map((line) => `${style.dim(line)}\n`).join('')
  if (plan.operations.length === 0) {
    return `${limits}${style.bold('No changes.')} The replica ${quotePath(plan.replica)} already mirrors ${quotePath(plan.source)}.\n`
  }
  const diffByPath = new Map(diffs.map((d) => [d.path, d]))
  const lines = [
    `treesync will mirror ${quotePath(plan.source)} into ${quotePath(plan.replica)}${plan.createsReplica ? ' (a new folder: apply creates it)' : ''}:`,
    '',
    ...inReadingOrder(plan.operations).map((op) => {
      const line = `  ${renderOperation(op, style)}`
      const diff = op.op === 'update' ? diffByPath.get(op.path) : undefined
      return diff ? `${line}\n${renderFileDiff(diff, style).trimEnd()}` : line
    }),
    '',
    renderSummaryTable(plan.summary, style),
    '',
    style.bold(planLine(plan.summary)),
  ]
  return limits + lines.join('\n') + '\n'
}

/**
 * Operations in tree order, the way people read a listing. A removed directory comes after
 * its contents (as it is applied), and an entry that replaces a directory comes after that
 * directory's removal; a rename sits where its file leaves from. The sort is stable, so a removal stays before its replacement.
 */
export function inReadingOrder(operations: readonly Operation[]): Operation[] {
  const key = (op: Operation): string => {
    if (op.op === 'rmdir') return `${op.path}/\uffff`
    if (op.op === 'rename') return op.from
    if (op.op === 'create' && op.reason === 'type') return `${op.path}/\uffff\uffff`
    return op.path
  }
  return [...operations].sort((a, b) => comparePaths(key(a), key(b)))
}

/** One operation as `<sigil> <path> (<reason>, <detail>)`. */
export function renderOperation(op: Operation, style: Style): string {
  const paint = {'+': style.add, '~': style.change, '-': style.remove, '>': style.move}[SIGILS[op.op]] ?? String
  const path = quotePath(op.path) + (op.op === 'mkdir' || op.op === 'rmdir' || (op.op === 'meta' && op.type === 'dir') ? '/' : '')
  let text: string
  let detail = op.reason as string
  switch (op.op) {
    case 'rename':
      text = `${quotePath(op.from)} -> ${path}`
      break
    case 'create':
    case 'update':
      text = op.type === 'symlink' ? `${path} -> ${quotePath(op.target)}` : path
      if (op.type === 'file') detail += `, ${formatBytes(op.size)}`
      break
    default:
      text = path
  }
  return `${paint(`${SIGILS[op.op]} ${text}`)} ${style.dim(`(${detail})`)}`
}

/** The counts per op kind and the bytes to copy, as a table. */
export function renderSummaryTable(summary: PlanSummary, style: Style): string {
  const table = new Table({
    head: ['create', 'update', 'meta', 'rename', 'delete', 'mkdir', 'rmdir', 'to copy'],
    style: style.enabled ? {head: ['bold']} : {head: [], border: []},
  })
  table.push([summary.create, summary.update, summary.meta, summary.rename, summary.delete, summary.mkdir, summary.rmdir, formatBytes(summary.bytes)])
  return table.toString()
}

/** `Plan: 2 to create, 1 to update, … (52 B to copy).` */
export function planLine(summary: PlanSummary): string {
  const parts = [
    `${summary.create + summary.mkdir} to create`,
    `${summary.update} to update`,
    `${summary.meta} to fix metadata`,
    `${summary.rename} to rename`,
    `${summary.delete + summary.rmdir} to delete`,
  ]
  return `Plan: ${parts.join(', ')} (${formatBytes(summary.bytes)} to copy).`
}

/** Warnings as `warning: <path>: <message>` lines (for stderr). */
export function renderWarnings(warnings: readonly PlanWarning[], style: Style): string {
  return warnings.map((w) => `${style.warn('warning:')} ${quotePath(w.path)}: ${w.message}\n`).join('')
}
