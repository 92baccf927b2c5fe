import ora, {type Ora} from 'ora'

import {colourWanted, type PrepareProgress} from '../../src/index.js'

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
    // ora prints its text once even when it cannot animate, so off a terminal there is no
    // spinner at all; nor on a terminal reporting 0 columns, where ora's line count is
    // Infinity and clearing never ends.
    const stream = process.stderr
    const usable = stream.isTTY && (stream.columns ?? 0) > 0
    this.spinner = usable ? ora({stream, text: 'Scanning…', color: colourWanted(stream, process.env) ? 'cyan' : false}) : undefined
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
