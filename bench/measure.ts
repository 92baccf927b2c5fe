import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

/** Path of GNU time, which reports a process's peak RSS (`-f %M`, in KiB). */
export const GNU_TIME = '/usr/bin/time'

/** A failure that stops the bench with a one-line (or few-line) message and exit code 1. */
export class BenchError extends Error {}

/** A command to time: `argv[0]` is the program. */
export interface Command {
  argv: string[]
  /** Exit codes that count as success (default: only 0). */
  okCodes?: number[]
  /** The environment to run it in (default: the bench's own). */
  env?: NodeJS.ProcessEnv
}

/** One timed run. */
export interface Sample {
  seconds: number
  /** NaN when the run was killed (GNU time dies with it). */
  rssKiB: number
  /** Killed after `timeoutSeconds`: `seconds` is then a lower bound. */
  timedOut: boolean
}

/**
 * Runs a command under GNU time with stdout to /dev/null and stderr to a file in `workDir`
 * (read back only when it fails), and returns its wall time (hrtime around the spawned
 * process) and peak RSS. A failing command is a BenchError naming the command and its output;
 * one still running after `timeoutSeconds` is killed with its process group and reported so.
 */
export async function measure(command: Command, workDir: string, timeoutSeconds: number): Promise<Sample> {
  const rssFile = join(workDir, 'rss.txt')
  const errFile = join(workDir, 'stderr.txt')
  const errFd = openSync(errFile, 'w')
  let code: number | null
  let seconds: number
  let timedOut = false
  try {
    const started = process.hrtime.bigint()
    // Its own process group, so a timeout kills GNU time and the measured program together.
    const child = spawn(GNU_TIME, ['-f', '%M', '-o', rssFile, ...command.argv], {stdio: ['ignore', 'ignore', errFd], detached: true, env: command.env})
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    }, timeoutSeconds * 1000)
    code = await exitOf(child).finally(() => clearTimeout(timer))
    seconds = Number(process.hrtime.bigint() - started) / 1e9
  } finally {
    closeSync(errFd)
  }
  if (timedOut) return {seconds, rssKiB: NaN, timedOut}
  if (!(command.okCodes ?? [0]).includes(code ?? -1)) {
    const output = (await readFile(errFile, 'utf8')).trim().split('\n').slice(-15).join('\n')
    throw new BenchError(`\`${command.argv.join(' ')}\` exited with ${code}${output ? `:\n${output}` : ' and printed nothing on stderr'}`)
  }
  const lines = (await readFile(rssFile, 'utf8')).trim().split('\n')
  const rssKiB = Number(lines[lines.length - 1])
  if (!Number.isFinite(rssKiB)) throw new BenchError(`cannot read the peak RSS that ${GNU_TIME} wrote to ${rssFile}`)
  return {seconds, rssKiB, timedOut}
}

/** Runs an untimed helper command (cp, rm, sync) and fails with its stderr if it fails. */
export async function runQuiet(argv: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe'], env})
  let stderr = ''
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()))
  const code = await exitOf(child)
  if (code !== 0) throw new BenchError(`\`${argv.join(' ')}\` exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`)
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : null)))
  })
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
