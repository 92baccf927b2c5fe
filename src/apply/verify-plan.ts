import type {Backend, BackendEntry, ExpectedEntry} from '../backend/backend.js'
import {openRootBackends} from '../backend/open-roots.js'
import type {RemoteConnections} from '../backend/remote-connections.js'
import {entryDrift, mtimeMsOf, sourceDrift} from '../backend/preconditions.js'
import {describeError, TreesyncError} from '../errors.js'
import type {Operation} from '../plan/operation.js'
import type {Plan} from '../plan/plan.js'
import {resolveRoots, type Roots} from '../roots.js'
import {ancestorsOf, joinPath} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'

/** The first thing that no longer matches a plan, with the path it is about. */
export interface Staleness {
  path: string
  reason: string
}

/**
 * Throws PLAN_STALE when a saved plan's roots no longer resolve to the directories it
 * names (a symlink on the way now points elsewhere): its paths would land in another tree.
 */
export function assertPlanRoots(plan: Pick<Plan, 'source' | 'replica'>, roots: Pick<Roots, 'source' | 'replica'>): void {
  if (roots.source !== plan.source || roots.replica !== plan.replica) {
    throw new TreesyncError('PLAN_STALE', `plan is stale: its directories now resolve elsewhere (${roots.source}, ${roots.replica})`)
  }
}

/** Where `verifyPlan` looks; all optional. */
export interface VerifyOptions {
  /** The roots as the caller resolved them (default: resolved here, which throws when they no longer resolve at all). */
  roots?: Pick<Roots, 'source' | 'replica'>
  /** The trees to check (default: the plan's roots, opened here). */
  backends?: {source: Backend; replica: Backend}
  /** The run's connections to remote roots (default: opened here and closed after). */
  remotes?: RemoteConnections
}

/**
 * Checks, before anything is changed, that a saved plan still holds. Throws PLAN_STALE
 * when its roots now resolve elsewhere. Otherwise returns the first mismatch, if any: each
 * source entry it copies from and each replica entry it changes or removes must be as it
 * was when planned, each path it creates still free (or freed by the plan itself), and
 * each directory it removes hold nothing the plan does not remove.
 */
export async function verifyPlan(plan: Plan, options: VerifyOptions = {}): Promise<Staleness | undefined> {
  assertPlanRoots(plan, options.roots ?? (await resolveRoots(plan.source, plan.replica, {mkpath: true, remotes: options.remotes})))
  const opened = options.backends ? undefined : await openRootBackends(plan, {remotes: options.remotes})
  try {
    return await firstStaleness(plan, (options.backends ?? opened)!)
  } finally {
    await opened?.close()
  }
}

async function firstStaleness(plan: Plan, {source, replica}: {source: Backend; replica: Backend}): Promise<Staleness | undefined> {
  const vacated = new Set<string>()
  const created = new Set<string>()
  for (const op of plan.operations) {
    if (op.op === 'delete' || op.op === 'rmdir') vacated.add(op.path)
    if (op.op === 'rename') vacated.add(op.from)
    if (op.op === 'mkdir') created.add(op.path)
  }
  const probe = new ReplicaProbe(replica, (dir) => vacated.has(dir) || created.has(dir))
  for (const op of plan.operations) {
    try {
      const problem = (await sourceProblem(op, source)) ?? (await replicaProblem(op, probe, vacated))
      if (problem) return problem
    } catch (error) {
      const {path, message} = describeError(error, op.path)
      return {path, reason: message}
    }
  }
  return undefined
}

async function sourceProblem(op: Operation, source: Backend): Promise<Staleness | undefined> {
  const stale = (reason: string): Staleness => ({path: op.path, reason: `source ${reason}`})
  if (op.op === 'delete' || op.op === 'rmdir') return undefined
  const entry = await source.stat(op.path)
  if ((op.op === 'create' || op.op === 'update') && op.type === 'symlink') {
    if (entry?.type !== 'symlink') return stale('entry is no longer a symlink')
    return entry.target === op.target ? undefined : stale('symlink target changed')
  }
  if (op.op === 'mkdir' || (op.op === 'meta' && op.type === 'dir')) {
    if (entry?.type !== 'dir') return stale('entry is no longer a directory')
    if (entry.mode !== op.mode) return stale('mode changed')
    return mtimeMsOf(entry) === op.mtimeMs ? undefined : stale('mtime changed')
  }
  // A meta operation copies no data and so records no size: the mtime alone vouches for it.
  const drift = sourceDrift(entry, op.op === 'meta' ? {mtimeMs: op.mtimeMs} : op)
  if (drift) return stale(`file changed: ${drift}`)
  return entry!.mode === op.mode ? undefined : stale('mode changed')
}

/**
 * Looks up replica entries without following symlinks on the way. A directory on the way
 * that the plan itself removes or creates means the entry cannot exist yet; any other
 * non-directory on the way means the replica changed since planning.
 */
class ReplicaProbe {
  private readonly dirs = new Map<string, Promise<'dir' | 'planned'>>()

  constructor(
    readonly tree: Backend,
    private readonly plannedDir: (dir: string) => boolean,
  ) {}

  async stat(path: string): Promise<BackendEntry | undefined> {
    return (await this.reachable(path)) ? this.tree.stat(path) : undefined
  }

  private async reachable(path: string): Promise<boolean> {
    for (const dir of ancestorsOf(path).reverse()) {
      if ((await this.directory(dir)) === 'planned') return false
    }
    return true
  }

  private directory(dir: string): Promise<'dir' | 'planned'> {
    let known = this.dirs.get(dir)
    if (!known) {
      known = this.tree.stat(dir).then((entry) => {
        if (entry?.type === 'dir') return 'dir'
        if (this.plannedDir(dir)) return 'planned'
        throw new TreesyncError('PLAN_STALE', entry ? `replica ${dir} is now a ${entry.type}` : `replica directory ${dir} no longer exists`, dir)
      })
      this.dirs.set(dir, known)
    }
    return known
  }
}

async function replicaProblem(op: Operation, probe: ReplicaProbe, vacated: Set<string>): Promise<Staleness | undefined> {
  const replica = probe.tree
  const check = async (path: string, expected: ExpectedEntry): Promise<Staleness | undefined> => {
    const drift = entryDrift(await probe.stat(path), expected)
    return drift ? {path, reason: `replica entry changed: ${drift}`} : undefined
  }
  const free = async (path: string): Promise<Staleness | undefined> => {
    if (vacated.has(path)) return undefined
    const entry = await probe.stat(path)
    return entry ? {path, reason: `replica now has a ${entry.type} where the plan creates one`} : undefined
  }
  switch (op.op) {
    case 'mkdir':
    case 'create':
      return free(op.path)
    case 'rename':
      return (await check(op.from, op.replica)) ?? (await free(op.path))
    case 'update':
    case 'meta':
    case 'delete':
      return check(op.path, op.replica)
    case 'rmdir':
      return (await check(op.path, {type: 'dir'})) ?? (await unplannedChild(op.path, replica, vacated))
  }
}

/** A directory to be removed must hold only entries the plan removes or moves away. */
async function unplannedChild(dir: string, replica: Backend, vacated: Set<string>): Promise<Staleness | undefined> {
  for (const {name} of await replica.list(dir)) {
    const path = joinPath(dir, name)
    if (!vacated.has(path) && !isTempName(name)) return {path, reason: 'replica entry appeared in a directory the plan removes'}
  }
  return undefined
}
