import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN, hasStackTrace, type CliResult} from '../helpers/cli.js'

/** The contract's log line: `<ISO 8601 ms + offset> <LEVEL> <message>`. */
export const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) (DEBUG|INFO|WARN|ERROR) /

export const isLogLine = (line: string): boolean => LOG_LINE.test(line)
export const logLevel = (line: string): string | undefined => LOG_LINE.exec(line)?.[2]
export const isWarningLine = (line: string): boolean => line.startsWith('warning: ')

export function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}

/** Problems every run must be free of: a bad exit, a signal, a stack trace, an internal error. */
export function basicProblems(r: CliResult, allowed: readonly number[]): string[] {
  const out: string[] = []
  if (r.signal !== null) out.push(`ended by signal ${r.signal} (hung or crashed)`)
  else if (!allowed.includes(r.code ?? -1)) out.push(`exit code ${r.code}, allowed ${allowed.join('/')}`)
  if (hasStackTrace(r.stderr) || hasStackTrace(r.stdout)) out.push(`stack trace in the output:\n${excerpt(r.stderr + r.stdout)}`)
  const internal = [...nonEmptyLines(r.stderr), ...nonEmptyLines(r.stdout)].find((l) => /internal error/i.test(l))
  if (internal) out.push(`an internal error (a defect, not a clear message): ${internal.slice(0, 300)}`)
  return out
}

/** stdout holds exactly one JSON document (JSON.parse refuses any trailing text). */
export function parseOneJson(stdout: string): {doc?: any; problem?: string} {
  try {
    return {doc: JSON.parse(stdout)}
  } catch (error) {
    return {problem: `--json: stdout is not exactly one JSON document (${String(error)}): ${excerpt(stdout)}`}
  }
}

export function excerpt(text: string, max = 600): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`
}

export interface WatchResult extends CliResult {
  /** True when the test stopped it with SIGTERM (it was still looping). */
  stopped: boolean
  /** Set when it did not start or did not stop in time. */
  problem?: string
}

/**
 * Runs `treesync watch …`. One that is refused exits by itself; one that loops is given
 * ~0.8 s after its `watch started` line, then SIGTERM, and must exit by itself after it.
 */
export async function runWatch(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<WatchResult> {
  const child = spawn(process.execPath, [BIN, ...argv], {cwd, env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['pipe', 'pipe', 'pipe']})
  child.stdin.end()
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal}))
  })
  const within = async (ms: number): Promise<{code: number | null; signal: NodeJS.Signals | null} | undefined> =>
    Promise.race([exited, sleep(ms, undefined, {ref: false}).then(() => undefined)])

  const started = Date.now()
  let problem: string | undefined
  for (;;) {
    const done = await within(50)
    if (done) return {...done, stdout, stderr, stopped: false}
    if (/ watch started: /.test(stdout + stderr)) break
    if (Date.now() - started > 20_000) {
      problem = 'neither exited nor logged "watch started" within 20 s'
      break
    }
  }
  if (!problem) {
    const done = await within(800)
    if (done) return {...done, stdout, stderr, stopped: false}
  }
  child.kill('SIGTERM')
  const done = await within(20_000)
  if (done) return {...done, stdout, stderr, stopped: true, ...(problem ? {problem} : {})}
  child.kill('SIGKILL')
  const killed = await exited
  return {...killed, stdout, stderr, stopped: true, problem: problem ?? 'did not exit within 20 s of SIGTERM'}
}
