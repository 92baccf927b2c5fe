import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BIN} from './cli.js'

export interface TerminalResult {
  code: number | null
  /** Everything the terminal showed (stdout and stderr of the CLI, and the echoed input). */
  output: string
}

/** A CLI running on a pseudo-terminal: keys can be typed and signals sent while it runs. */
export interface TerminalSession {
  /** What the terminal showed so far. */
  output(): string
  /** Types keys, as a user at the keyboard: `\x03` is Ctrl-C, turned into SIGINT by the terminal. */
  type(keys: string): void
  /** Types the last keys and closes the terminal's input (as piping into `script` does). */
  endInput(keys?: string): void
  /** Sends a signal to the CLI itself (as `kill` would, or the terminal closing: SIGHUP). */
  signal(name: NodeJS.Signals): Promise<void>
  /** Closes the terminal, as closing an SSH session does: the CLI gets SIGHUP, then EIO on every write. */
  closeTerminal(): void
  /** Resolves once the output matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** Settles when the CLI has exited. */
  done: Promise<TerminalResult>
}

export interface TerminalOptions {
  env?: NodeJS.ProcessEnv
  size?: {cols: number; rows: number}
  timeoutMs?: number
}

/**
 * Starts `treesync ARGS…` on a real pseudo-terminal with util-linux `script`. The terminal
 * is given a size first: `script` fed from a pipe makes a 0×0 terminal. On timeout the
 * CLI itself is killed too (it runs in its own session under `script`, so killing
 * `script` alone can leave it behind); the result then has code null.
 */
export async function startOnTerminal(args: readonly string[], options: TerminalOptions = {}): Promise<TerminalSession> {
  const size = options.size ?? {cols: 100, rows: 40}
  const pidDir = await mkdtemp(join(tmpdir(), 'treesync-pty-'))
  const pidFile = join(pidDir, 'pid')
  // `exec` keeps the shell's pid, so the pid written is the CLI's.
  const command =
    `stty cols ${size.cols} rows ${size.rows}; echo $$ > ${shellQuote(pidFile)}; ` +
    `exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`
  // A user's terminal: under CI=true ora (is-interactive) never shows a spinner at all.
  const env = {...process.env, CI: undefined, ...options.env}
  const child = spawn('script', ['-qec', command, '/dev/null'], {env, stdio: ['pipe', 'pipe', 'pipe']})
  let output = ''
  const watchers = new Set<() => void>()
  const append = (d: string): void => {
    if (output.length < 1_000_000) output += d
    for (const w of watchers) w()
  }
  child.stdout.setEncoding('utf8').on('data', append)
  child.stderr.setEncoding('utf8').on('data', append)
  const cliPid = async (): Promise<number> => {
    for (let i = 0; i < 200; i++) {
      const text = await readFile(pidFile, 'utf8').catch(() => '')
      if (text.trim() !== '') return Number(text)
      await new Promise((r) => setTimeout(r, 10))
    }
    throw new Error('the CLI did not start on the terminal')
  }
  const done = new Promise<TerminalResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      void cliPid()
        .then((pid) => process.kill(pid, 'SIGKILL'))
        .catch(() => undefined)
        .finally(() => child.kill('SIGKILL'))
    }, options.timeoutMs ?? 30_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, output})
    })
  }).finally(() => rm(pidDir, {recursive: true, force: true}))
  return {
    output: () => output,
    type: (keys) => void child.stdin.write(keys),
    endInput: (keys = '') => void child.stdin.end(keys),
    signal: async (name) => void process.kill(await cliPid(), name),
    closeTerminal: () => void child.kill('SIGKILL'),
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output)) return
          watchers.delete(check)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          watchers.delete(check)
          reject(new Error(`timed out waiting for ${pattern} on the terminal; it shows: ${JSON.stringify(output.slice(-600))}`))
        }, timeoutMs)
        watchers.add(check)
        check()
      }),
    done,
  }
}

/** Runs `treesync ARGS…` on a pseudo-terminal, typing `input`, and waits for it to exit. */
export async function runOnTerminal(args: readonly string[], input: string, options: TerminalOptions = {}): Promise<TerminalResult> {
  const session = await startOnTerminal(args, options)
  session.endInput(input)
  return session.done
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}
