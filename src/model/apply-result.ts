import type {Operation} from '../plan/operation.js'
import type {PlanSummary} from '../plan/plan.js'

/** An operation that did not complete, with the path it is about. */
export interface FailedOperation {
  op: Operation['op']
  path: string
  error: string
}

/** An operation not attempted because one it depends on failed. */
export interface SkippedOperation {
  op: Operation['op']
  path: string
  reason: string
}

/** What apply did: every plan operation ends up in exactly one of these lists. */
export interface ApplyResult {
  applied: Operation[]
  failed: FailedOperation[]
  skipped: SkippedOperation[]
  /** Counts of the operations applied. */
  summary: PlanSummary
  durationMs: number
  /** Copy worker threads this apply started; 0 when file copies were made on this thread. */
  copyWorkers: number
  /** Why apply stopped early when a root could no longer be reached (a lost connection): the first such error. */
  unreachable?: string
}

/** Progress of an apply, one event per operation outcome. */
export type ApplyEvent =
  | {type: 'applied'; op: Operation}
  | {type: 'failed'; failure: FailedOperation}
  | {type: 'skipped'; op: Operation; reason: string}
