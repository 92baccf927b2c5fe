import assert from 'node:assert/strict'
import {chmod, chown, lstat, readdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import type {TestContext} from 'node:test'

import {BIN, runCli, type CliOptions, type CliResult} from '../helpers/cli.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, type EntrySpec} from '../helpers/tree-builder.js'

/** The unprivileged user the permission tests run the CLI as. */
export const NOBODY = 65534

/** A workspace for one test: a temp dir other users can enter, and a private HOME/cache. */
export interface Workspace {
  /** Root of the workspace: tests put `src`, `rep`, log files… in here. */
  dir: string
  /** `treesync ARGS…` with HOME and the cache directories pointed into the workspace's sandbox. */
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>
  /** The same environment, for spawning the CLI some other way (under `script`). */
  env: NodeJS.ProcessEnv
  /** Hands the workspace and the sandbox to a user (the sandbox first, so the CLI can run). */
  chownAll(uid: number, gid: number): Promise<void>
}

/**
 * A fresh workspace. The temp dir is made 0755 (mkdtemp gives 0700) so an unprivileged
 * user can reach the trees; HOME and XDG dirs live in a separate sandbox, so the CLI
 * never reads or writes the real user's cache and the workspace holds only test trees.
 */
export async function workspace(t: TestContext): Promise<Workspace> {
  const dir = await tempDir(t, 'treesync-cli-')
  const sandbox = await tempDir(t, 'treesync-home-')
  await chmod(dir, 0o755)
  await chmod(sandbox, 0o755)
  const env: NodeJS.ProcessEnv = {
    HOME: sandbox,
    XDG_CACHE_HOME: join(sandbox, 'cache'),
    XDG_CONFIG_HOME: join(sandbox, 'config'),
    XDG_DATA_HOME: join(sandbox, 'data'),
    NO_COLOR: '1',
  }
  return {
    dir,
    env,
    cli: (args, options = {}) => runCli(args, {...options, env: {...env, ...options.env}}),
    chownAll: async (uid, gid) => {
      await chownTree(sandbox, uid, gid)
      await chownTree(dir, uid, gid)
    },
  }
}

/**
 * A workspace with a source tree `src` and a replica tree `rep` built from specs; without
 * replica specs, `rep` is left absent (apply creates it).
 */
export async function cliTrees(
  t: TestContext,
  source: readonly EntrySpec[],
  replica?: readonly EntrySpec[],
): Promise<{ws: Workspace; src: string; rep: string}> {
  const ws = await workspace(t)
  const src = join(ws.dir, 'src')
  const rep = join(ws.dir, 'rep')
  await buildTree(src, source)
  if (replica) await buildTree(rep, replica)
  return {ws, src, rep}
}

/** chown -R, without following symlinks. */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const st = await lstat(root)
  if (st.isDirectory()) {
    for (const name of await readdir(root)) await chownTree(join(root, name), uid, gid)
  }
  if (st.isSymbolicLink()) return
  await chown(root, uid, gid)
}

/** Parses stdout as exactly one JSON document (JSON.parse refuses trailing text). */
export function parseJson(stdout: string): unknown {
  assert.notEqual(stdout.trim(), '', 'stdout is empty, expected one JSON document')
  try {
    return JSON.parse(stdout)
  } catch (error) {
    assert.fail(`stdout is not exactly one JSON document (${String(error)}):\n${stdout}`)
  }
}

/** The operation lines of a human plan: `  <sigil> <text>`. */
export function operationLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => /^ {2}[+~\->] /.test(l))
    .map((l) => l.slice(2))
}

/** The last non-empty line of some output. */
export function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  return lines.at(-1) ?? ''
}

/** Non-empty lines of some output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}

/** One log line: `<timestamp> <LEVEL> <message>`. */
export const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) (DEBUG|INFO|WARN|ERROR) .+$/

/** The message part of a log line. */
export function logMessage(line: string): string {
  const match = /^\S+ (?:DEBUG|INFO|WARN|ERROR) (.*)$/.exec(line)
  assert.ok(match, `not a log line: ${line}`)
  return match[1]!
}

/** A JSON plan, as far as these tests read it. */
export interface PlanJson {
  format: string
  version: number
  source: string
  replica: string
  createdAt: string
  operations: Array<{
    op: string
    path: string
    from?: string
    type?: string
    reason: string
    size?: number
    md5?: string
    target?: string
  }>
  summary: Record<string, number>
}

/** What `apply --json` prints, as far as these tests read it. */
export interface ApplyJson {
  applied: Array<{op: string; path: string}>
  failed: Array<{path: string; error: string}>
  summary: Record<string, number>
}

export {runOnTerminal, type TerminalResult} from '../helpers/terminal.js'

/** A workspace with a source that differs from its replica, so any apply would change things. */
export function differingTrees(t: TestContext): Promise<{ws: Workspace; src: string; rep: string}> {
  return cliTrees(t, [
    {path: 'a.txt', type: 'file', content: 'new'},
    {path: 'sub/b.txt', type: 'file', content: 'b'},
  ], [
    {path: 'a.txt', type: 'file', content: 'old'},
    {path: 'extra.txt', type: 'file', content: 'would be deleted'},
  ])
}

/**
 * Lets an unprivileged user reach the built CLI: a checkout under a 0700 directory (as
 * `mktemp -d` makes) cannot be traversed by others. Adds o+x to each such ancestor of the
 * repository for the duration of the tests, and restores the modes afterwards.
 */
export async function letOthersReachTheCli(): Promise<() => Promise<void>> {
  const restore: Array<[string, number]> = []
  for (let dir = dirname(BIN); dir !== dirname(dir); dir = dirname(dir)) {
    const {mode} = await lstat(dir)
    if ((mode & 0o001) === 0) {
      restore.push([dir, mode & 0o7777])
      await chmod(dir, (mode & 0o7777) | 0o001)
    }
  }
  return async () => {
    for (const [dir, mode] of restore) await chmod(dir, mode)
  }
}
