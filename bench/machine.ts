import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {cpus, loadavg, release, totalmem} from 'node:os'
import {dirname, join} from 'node:path'

/** What the numbers were measured on and with, for the report's header. */
export interface MachineInfo {
  date: string
  node: string
  rsync: string
  cpu: string
  cores: number
  memoryGiB: number
  kernel: string
  filesystem: string
  loadAverage: string
  treesync: string
}

/** Describes this machine, the tools and the treesync build under test. */
export function describeMachine(dataDir: string, bin: string): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  return {
    date: new Date().toISOString(),
    node: process.version,
    rsync: output('rsync', ['--version']).split('\n')[0] ?? 'unknown',
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    kernel: `Linux ${release()}`,
    filesystem: output('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', dataDir]).trim().replace(/\s+/g, ' ') || 'unknown',
    loadAverage: loadAverage(),
    treesync: describeBuild(bin),
  }
}

/** The 1, 5 and 15 minute load averages: other work on the machine makes every number noisier. */
export function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')
}

/** The commit of the treesync under test, and whether its sources differ from it. */
function describeBuild(bin: string): string {
  const repo = dirname(dirname(bin))
  const commit = output('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']).trim()
  if (!commit) return `${repo} (not a git checkout)`
  const dirty = output('git', ['-C', repo, 'status', '--porcelain', '--', 'src', 'commands', 'bin', 'package.json']).trim()
  return `${repo} at ${commit}${dirty ? ' with uncommitted changes to src/commands' : ''}`
}

/**
 * Newest mtime under the treesync build (dist/src, dist/commands), in ms: compared before
 * and after the bench to notice a rebuild in the middle of the measurements.
 */
export function buildStamp(bin: string): number {
  const dist = join(dirname(dirname(bin)), 'dist')
  let newest = 0
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  for (const part of ['src', 'commands']) {
    try {
      walk(join(dist, part))
    } catch {
      // no such build directory: nothing to compare
    }
  }
  return newest
}

function output(program: string, args: string[]): string {
  try {
    return execFileSync(program, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  } catch {
    return ''
  }
}
