import type {Ora} from 'ora'

import type {PrepareProgress} from '../../src/index.js'
import {colourWanted} from '../../src/render/style.js'

/** Minimum time between spinner text updates: repainting costs more than scanning. */
const REFRESH_MS = 100

/**
 * A spinner on stderr while scanning and hashing, only when stderr is a terminal, so
 * pipes and CI logs stay clean.
 */
export class ScanSpinner {
  private last = 0

  private constructor(private readonly spinner: Ora | undefined) {}

  /**
   * Starts a spinner if stderr can show one. ora prints its text once even when it cannot
   * animate, so off a terminal there is no spinner at all; nor on a terminal reporting 0
   * columns, where ora's line count is Infinity and clearing never ends. ora is loaded only
   * then: it is a sizeable part of the CLI's memory, wasted in pipes and CI.
   */
  static async start(): Promise<ScanSpinner> {
    const stream = process.stderr
    if (!stream.isTTY || (stream.columns ?? 0) <= 0) return new ScanSpinner(undefined)
    const {default: ora} = await import('ora')
    // discardStdin would put the terminal in raw mode, where Ctrl-C is a byte and no signal.
    const spinner = ora({stream, text: 'Scanning…', color: colourWanted(stream, process.env) ? 'cyan' : false, discardStdin: false})
    return new ScanSpinner(spinner.start())
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
