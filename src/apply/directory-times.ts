import type {Backend} from '../backend/backend.js'
import {mtimeMsOf} from '../backend/preconditions.js'
import {describeError} from '../errors.js'
import {comparePaths, depthOf} from '../tree/paths.js'

/** A directory whose metadata could not be set at the end of apply. */
export interface DirectoryTimeFailure {
  path: string
  error: string
}

interface FinalMeta {
  mode: number
  mtimeMs: number
}

/**
 * Directory metadata is set after all entries are in place, deepest first, because adding
 * or removing an entry changes its directory's mtime. Directories the plan creates or
 * fixes get the planned mode and mtime; other directories whose entries apply changes get
 * back the mtime they had, since the plan did not name them.
 *
 * Directory mtimes are kept only where both roots keep directories (`emptyDirs`): a
 * directory of an S3 source has no mtime to give (a folder made from it gets only its
 * mode), one of an S3 replica none to set, so there nothing is read or set at all.
 */
export class DirectoryTimes {
  private readonly original = new Map<string, Promise<number | undefined>>()
  private readonly planned = new Map<string, FinalMeta>()
  private readonly removed = new Set<string>()

  private readonly mtimes: boolean

  constructor(
    private readonly replica: Backend,
    source: Pick<Backend, 'capabilities'> = replica,
  ) {
    this.mtimes = source.capabilities.emptyDirs && replica.capabilities.emptyDirs
  }

  /** Remembers a directory's mtime before apply first changes its entries. */
  rememberBefore(dir: string): Promise<unknown> {
    if (!this.mtimes) return Promise.resolve()
    let known = this.original.get(dir)
    if (!known) {
      known = this.replica.stat(dir).then(
        (entry) => (entry?.type === 'dir' ? mtimeMsOf(entry) : undefined),
        () => undefined,
      )
      this.original.set(dir, known)
    }
    return known
  }

  /** Records the mode and mtime the plan wants a directory to end with. */
  plan(dir: string, meta: FinalMeta): void {
    this.planned.set(dir, meta)
  }

  removedDir(dir: string): void {
    this.removed.add(dir)
  }

  /** Restores and sets directory metadata, deepest first; returns what failed. */
  async finish(): Promise<DirectoryTimeFailure[]> {
    const dirs = new Set([...this.original.keys(), ...this.planned.keys()])
    const ordered = [...dirs]
      .filter((d) => !this.removed.has(d))
      .sort((a, b) => depthOf(b) - depthOf(a) || comparePaths(a, b))
    const failures: DirectoryTimeFailure[] = []
    for (const dir of ordered) {
      try {
        const wanted = this.planned.get(dir)
        if (wanted) {
          // No chmod where the replica keeps no permission bits (FAT refuses it).
          const change = {...(this.replica.capabilities.modes ? {mode: wanted.mode} : {}), ...(this.mtimes ? {mtimeMs: wanted.mtimeMs} : {})}
          if (change.mode !== undefined || change.mtimeMs !== undefined) await this.replica.setMetadata(dir, change)
          continue
        }
        const before = await this.original.get(dir)
        if (before !== undefined && dir !== '') await this.replica.setMetadata(dir, {mtimeMs: before})
      } catch (error) {
        failures.push({path: dir, error: `cannot set directory metadata: ${describeError(error).message}`})
      }
    }
    return failures
  }
}
