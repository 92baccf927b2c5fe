import {statSync} from 'node:fs'

import type {Logger} from '../log/logger.js'
import {watchSource, type SourceWatcher} from './source-watcher.js'
import type {ChangeSubscription} from './watch-loop.js'

/**
 * How often the source root is checked for having been replaced: removed and created
 * again, or a file system mounted on it. Neither tells the old watcher anything, since it
 * watches the old directory, and nothing else would notice before the interval.
 */
export const ROOT_CHECK_MS = 1000

export interface SourceEventsOptions {
  /** See ROOT_CHECK_MS. */
  rootCheckMs?: number
  debounceMs?: number
}

/**
 * Which directory a path named. The inode alone is not enough: a directory removed and
 * created at once often gets the same inode number back, but not the same birth time.
 */
interface DirIdentity {
  dev: number
  ino: number
  birthtimeMs: number
}

/**
 * Change notifications for `watch --events`, as a subscription for the watch loop. If the
 * watcher fails it is closed with a warning (the interval carries on alone) and started
 * again by `rearm`, which the loop calls between cycles. When the source root is replaced,
 * a new watcher follows the new directory and a cycle is started for what it holds.
 */
export class SourceEvents {
  private watcher: SourceWatcher | undefined
  /** The directory the current watcher was started on; undefined once it is known to be gone. */
  private watched: DirIdentity | undefined
  private wake: (() => void) | undefined
  private readonly rootCheck: NodeJS.Timeout

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
    private readonly options: SourceEventsOptions = {},
  ) {
    this.rearm()
    this.rootCheck = setInterval(() => this.followReplacedRoot(), options.rootCheckMs ?? ROOT_CHECK_MS).unref()
  }

  subscribe: ChangeSubscription = (wake) => {
    this.wake = wake
    return () => (this.wake = undefined)
  }

  rearm(): void {
    if (this.watcher) return
    this.start()
  }

  async close(): Promise<void> {
    clearInterval(this.rootCheck)
    await this.watcher?.close()
  }

  private start(): void {
    // Identify the root before watching it: if it is replaced in between, the next check
    // sees a different directory and starts again, instead of missing the replacement.
    this.watched = identify(this.root)
    const watcher = watchSource(this.root, {
      debounceMs: this.options.debounceMs,
      onChange: () => this.wake?.(),
      onRootGone: () => {
        if (this.watcher === watcher) this.watched = undefined
      },
      onError: (error) => {
        if (this.watcher === watcher) this.watcher = undefined
        this.logger.warn(`change watcher failed (${error instanceof Error ? error.message : String(error)}): using the interval only`)
      },
    })
    this.watcher = watcher
  }

  /**
   * While the root is missing there is nothing to follow (each cycle says so); once a
   * different directory is there, watch it instead and start a cycle. A watcher that
   * failed is left to `rearm`, so a lasting failure warns once per cycle at most.
   */
  private followReplacedRoot(): void {
    if (!this.watcher) return
    const current = identify(this.root)
    if (!current) {
      this.watched = undefined
      return
    }
    if (this.watched && sameDir(current, this.watched)) return
    const old = this.watcher
    this.watcher = undefined
    void old.close()
    this.logger.info(`source folder ${this.root} was replaced: watching the new one`)
    this.start()
    this.wake?.()
  }
}

function identify(path: string): DirIdentity | undefined {
  try {
    const {dev, ino, birthtimeMs} = statSync(path)
    return {dev, ino, birthtimeMs}
  } catch {
    return undefined
  }
}

const sameDir = (a: DirIdentity, b: DirIdentity): boolean => a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs
