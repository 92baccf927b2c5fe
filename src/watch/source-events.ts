import type {Logger} from '../log/logger.js'
import {watchSource, type SourceWatcher} from './source-watcher.js'
import type {ChangeSubscription} from './watch-loop.js'

/**
 * Change notifications for `watch --events`, as a subscription for the watch loop. If the
 * watcher fails it is closed with a warning (the interval carries on alone) and started
 * again by `rearm`, which the loop calls between cycles.
 */
export class SourceEvents {
  private watcher: SourceWatcher | undefined
  private wake: (() => void) | undefined

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {
    this.rearm()
  }

  subscribe: ChangeSubscription = (wake) => {
    this.wake = wake
    return () => (this.wake = undefined)
  }

  rearm(): void {
    if (this.watcher) return
    this.watcher = watchSource(this.root, {
      onChange: () => this.wake?.(),
      onError: (error) => {
        this.watcher = undefined
        this.logger.warn(`change watcher failed (${error instanceof Error ? error.message : String(error)}): using the interval only`)
      },
    })
  }

  async close(): Promise<void> {
    await this.watcher?.close()
  }
}
