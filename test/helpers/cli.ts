import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

/** The built CLI entry point (tests run from dist/test/…). */
export const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  /** Written to stdin, which is then closed (stdin is never a terminal here). */
  input?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Run as this user (tests running as root use it to meet permission errors). */
  uid?: number
  gid?: number
  timeoutMs?: number
}

/** Runs `treesync ARGS…` as a real process and collects its exit code and output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: {...process.env, NO_COLOR: '1', ...options.env},
      uid: options.uid,
      gid: options.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
    child.stdin.end(options.input ?? '')
  })
}

/** A stderr that holds no stack trace (`    at fn (file:line)` frames). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(text) || /^\s+at .+:\d+:\d+$/m.test(text)
}

/**
 * An S3 endpoint where nothing listens (port 9 of loopback: refused at once, no DNS), with
 * credentials, so that an `s3://` root fails on the connection and nothing else.
 */
export const UNREACHABLE_S3_ENV: Readonly<Record<string, string>> = Object.freeze({
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'TESTKEY',
  AWS_SECRET_ACCESS_KEY: 'testsecret',
})
