import {watch, type FSWatcher} from 'chokidar'

import {baseName} from '../tree/paths.js'
import {isTempName} from '../tree/temp-name.js'

/** Quiet period after the last change before a cycle is triggered. */
export const DEFAULT_DEBOUNCE_MS = 200

export interface SourceWatcherOptions {
  debounceMs?: number
  onChange: () => void
  /** The watcher failed (inotify limits, the source vanished…): fall back to the interval. */
  onError: (error: unknown) => void
  /** The root itself was removed: this watcher will see nothing more, even if it comes back. */
  onRootGone?: () => void
}

/** A running watcher; `close` stops it and any pending notification. */
export interface SourceWatcher {
  close(): Promise<void>
}

/**
 * Watches a source tree for changes (chokidar, not following symlinks) and calls
 * `onChange` once changes have been quiet for `debounceMs`. Errors are reported once and
 * the watcher is closed; the caller can start a new one later.
 */
export function watchSource(root: string, options: SourceWatcherOptions): SourceWatcher {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (path: string) => isTempName(baseName(path)),
  })
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    clearTimeout(timer)
    await watcher.close()
  }
  watcher.on('all', () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (!closed) options.onChange()
    }, debounceMs)
  })
  watcher.on('unlinkDir', (path) => {
    if (path === root && !closed) options.onRootGone?.()
  })
  watcher.on('error', (error) => {
    if (closed) return
    void close()
    options.onError(error)
  })
  return {close}
}
