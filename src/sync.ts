import {hashEntries, type HashProgress} from './scan/hash-entries.js'
import {scanTree, type ExcludeFn, type ScanProgress} from './scan/scan-tree.js'
import {replicaFilesToHash} from './plan/hash-needs.js'
import type {CompareMode, Plan} from './plan/plan.js'
import {planSync} from './plan/plan-sync.js'
import type {Roots} from './roots.js'
import type {Manifest} from './tree/entry.js'

/** Progress while preparing a plan, tagged with the tree it is about. */
export type PrepareProgress =
  | ({phase: 'scan'; side: 'source' | 'replica'} & ScanProgress)
  | ({phase: 'hash'; side: 'source' | 'replica'} & HashProgress)

export interface PrepareOptions {
  compare: CompareMode
  exclude?: ExcludeFn
  concurrency?: number
  onProgress?: (progress: PrepareProgress) => void
  now?: () => Date
}

/** A plan together with the manifests it was computed from. */
export interface PreparedPlan {
  plan: Plan
  source: Manifest
  replica: Manifest
}

/**
 * Scans both trees, hashes what the comparison needs, and plans. Under `md5`, every
 * source file is hashed (plans record what they copy) but only the replica files whose
 * hash can change a decision.
 */
export async function preparePlan(roots: Roots, options: PrepareOptions): Promise<PreparedPlan> {
  const scanOptions = (side: 'source' | 'replica') => ({
    exclude: options.exclude,
    concurrency: options.concurrency,
    allowMissing: side === 'replica',
    onProgress: (p: ScanProgress) => options.onProgress?.({phase: 'scan', side, ...p}),
  })
  const [source, replica] = await Promise.all([
    scanTree(roots.source, scanOptions('source')),
    scanTree(roots.replica, scanOptions('replica')),
  ])
  if (options.compare === 'md5') {
    const hashOptions = (side: 'source' | 'replica') => ({
      concurrency: options.concurrency,
      onProgress: (p: HashProgress) => options.onProgress?.({phase: 'hash', side, ...p}),
    })
    const needed = replicaFilesToHash(source, replica)
    await Promise.all([
      hashEntries(source, () => true, hashOptions('source')),
      hashEntries(replica, needed, hashOptions('replica')),
    ])
  }
  const createdAt = (options.now?.() ?? new Date()).toISOString()
  return {plan: planSync(source, replica, {compare: options.compare, createdAt}), source, replica}
}
