import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import type {TestContext} from 'node:test'

import {BIN} from '../helpers/cli.js'

/** A running `treesync watch` (or any long-running command), killed when the test ends. */
export interface RunningCli {
  child: ChildProcessWithoutNullStreams
  output(): string
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>
}

export function startCli(t: TestContext, args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...env}})
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return {child, output: () => output, exited}
}

/** Polls `check` until it returns true (or resolves without throwing), failing after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean | void> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<number> {
  const started = Date.now()
  let last: unknown
  for (;;) {
    try {
      if ((await check()) !== false) return Date.now() - started
    } catch (error) {
      last = error
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await sleep(50)
  }
}

/** The lines of a log file (empty when it does not exist yet). */
export async function logLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter((l) => l !== '')
}

/** The contract's log line: ISO 8601 with ms and offset, a level, a message. */
export const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) (DEBUG|INFO|WARN|ERROR) \S.*$/
