import ora, {type Ora} from 'ora'

import type {PrepareProgress} from '../../src/index.js'

/** Minimum time between spinner text updates: repainting costs more than scanning. */
const REFRESH_MS = 100

/**
 * A spinner on stderr while scanning and hashing, only when stderr is a terminal, so
 * pipes and CI logs stay clean.
 */
export class ScanSpinner {
  private readonly spinner: Ora | undefined
  private last = 0

  constructor() {
    // ora prints its text once even when it cannot animate; off a terminal, print nothing.
    this.spinner = process.stderr.isTTY ? ora({stream: process.stderr, text: 'Scanning…'}) : undefined
  }

  start(): this {
    this.spinner?.start()
    return this
  }

  update = (progress: PrepareProgress): void => {
    const now = Date.now()
    if (!this.spinner || now - this.last < REFRESH_MS) return
    this.last = now
    this.spinner.text =
      progress.phase === 'scan'
        ? `Scanning ${progress.side}… ${progress.entries} entries`
        : `Hashing ${progress.side}… ${progress.hashed}/${progress.total} files`
  }

  stop(): void {
    this.spinner?.stop()
  }
}
