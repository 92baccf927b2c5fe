import {join} from 'node:path'

import type {Scene} from './fuzz-scene.js'

/**
 * Seeded random command lines. Positionals come first and flags after them, with a flag
 * that lacks its value only ever last, so what each token means is predictable. That lets
 * the generator keep one promise: no vector can ask treesync to write into the source or
 * the sentinel (a REPLICA, log, backup or cache there would be a legitimate request to
 * change them). Every other path is fair game, including ones that must be refused.
 */

type Random = () => number

export interface Vector {
  argv: string[]
  command: string
  /** `plan --detailed-exitcode`: exit 2 is allowed (success with changes). */
  mayExit2: boolean
  /** stdout must be one JSON document (a known command with --json, no help/version). */
  jsonOnly: boolean
  /** plan, apply, show or watch (the contract's refusals apply to them). */
  known: boolean
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const int = (random: Random, n: number): number => Math.floor(random() * n)

interface Pools {
  sources: string[]
  replicas: string[]
  /** Replica values that overlap the source given, so they must be refused. */
  overlapping: (source: string) => string[]
  /** Paths a flag may write to (in scratch or the replica, or refused: dirs, /proc). */
  writable: string[]
  readable: string[]
  planFiles: string[]
  intervals: string[]
}

function pools(s: Scene): Pools {
  return {
    sources: [s.source, s.source, s.source, s.sentinel, s.replica, join(s.root, 'missing'), s.file, s.planFile, '', '.', 'source', `${s.source}/`, `${s.sentinel}/../source`, join(s.replica, 'link'), 'x'.repeat(300), '-', 'caf\u00e9', '/', 'user@host:/src', 's3://bucket'],
    replicas: [s.replica, s.replica, s.replica, join(s.scratch, 'new-replica'), join(s.scratch, 'a/b/c'), s.file, join(s.file, 'sub'), join(s.replica, 'docs'), 'relative-replica', join(s.scratch, 'caf\u00e9 r\u00e9plique'), 'nas:backup', `sftp://nas${s.replica}`, 's3://'],
    overlapping: (source) =>
      source === s.source || source === `${s.source}/` || source === `${s.sentinel}/../source`
        ? [s.source, join(s.source, 'docs'), join(s.source, 'new'), `${s.source}/.`, s.root, '/']
        : source === s.replica
          ? [s.replica, join(s.replica, 'gone'), s.root]
          : [],
    writable: [join(s.scratch, 'x.log'), join(s.scratch, 'out', 'plan.json'), join(s.scratch, 'missing-dir', 'x.log'), s.scratch, join(s.replica, 'log.txt'), '/proc/version', '/dev/null', '', join(s.scratch, 'caf\u00e9.log')],
    readable: [join(s.source, 'a.txt'), join(s.sentinel, 'secret.txt'), join(s.root, 'missing'), s.sentinel, s.file, '/dev/null', s.planFile],
    planFiles: [s.planFile, s.planFile, s.file, s.source, join(s.root, 'missing.json'), '/dev/null', '/proc/self/status', ''],
    intervals: ['0.05', '0.2', '60', '0', '-1', 'abc', '', '1e-3', 'Infinity', 'NaN', ' 1 ', '0x10', '1e400', '-0'],
  }
}

type FlagKind = 'bool' | 'string'
interface FlagSpec {
  name: string
  kind: FlagKind
  values?: (p: Pools, s: Scene) => string[]
}

const FLAGS: FlagSpec[] = [
  {name: 'compare', kind: 'string', values: () => ['md5', 'size-mtime', 'sha1', '', 'MD5']},
  {name: 'concurrency', kind: 'string', values: () => ['1', '4', '0', '-1', 'abc', '1.5', '99999999999999999999', '1e3']},
  {name: 'max-delete', kind: 'string', values: () => ['0', '1', '100', '-1', 'x', '2.5']},
  {name: 'exclude', kind: 'string', values: () => ['*.txt', 'docs/', '**', '!a.txt', '[', '\\', '/', 'link', '#comment']},
  {name: 'exclude-from', kind: 'string', values: (p) => p.readable},
  {name: 'log-file', kind: 'string', values: (p, s) => [...p.writable, s.source, s.sentinel]},
  {name: 'cache-dir', kind: 'string', values: (p) => p.writable},
  {name: 'backup-dir', kind: 'string', values: (p) => p.writable},
  {name: 'out', kind: 'string', values: (p, s) => [...p.writable, s.source, s.sentinel]},
  {name: 'diff-max-bytes', kind: 'string', values: () => ['0', '10', '-5', 'z']},
  {name: 'interval', kind: 'string', values: (p) => p.intervals},
  {name: 'allow-delete-all', kind: 'bool'},
  {name: 'auto-approve', kind: 'bool'},
  {name: 'auto-approve', kind: 'bool'},
  {name: 'json', kind: 'bool'},
  {name: 'json', kind: 'bool'},
  {name: 'detailed-exitcode', kind: 'bool'},
  {name: 'diff', kind: 'bool'},
  {name: 'events', kind: 'bool'},
  {name: 'no-cache', kind: 'bool'},
  {name: 'help', kind: 'bool'},
]

const UNKNOWN_FLAGS = ['--nope', '--force', '-x', '--dry-run', '--compare=sha1', '--max-delete=3', '--json=true', '--auto-approve=false', '---', '--=', '-h', '-v', '--version', '--verbose', '--delete']

const COMMANDS = ['plan', 'plan', 'plan', 'apply', 'apply', 'apply', 'apply', 'show', 'show', 'watch', 'watch', 'sync', 'nope', 'PLAN', 'help', '--help', '']

/** Flags that are valid for each command, with values that are valid too. */
function saneFlags(command: string, s: Scene): string[][] {
  const common = [
    ['--compare', 'size-mtime'], ['--compare=md5'], ['--concurrency', '2'], ['--max-delete', '100'], ['--exclude', '*.log'],
    ['--exclude', 'docs/deep/', '--exclude', 'uni'], ['--exclude-from', join(s.source, 'a.txt')], ['--log-file', join(s.scratch, 'sync.log')],
    ['--cache-dir', join(s.scratch, 'cache')], ['--backup-dir', join(s.scratch, 'backup')], ['--json'],
  ]
  switch (command) {
    case 'plan':
      return [...common, ['--detailed-exitcode'], ['--diff'], ['--diff', '--diff-max-bytes', '100'], ['--out', join(s.scratch, 'p.json')], ['--allow-delete-all']]
    case 'apply':
      return [...common, ['--auto-approve'], ['--auto-approve'], ['--allow-delete-all']]
    case 'watch':
      return [...common, ['--events'], ['--allow-delete-all']]
    default:
      return [['--json']]
  }
}

/**
 * A command line that should mostly work: a known command, the right positionals (valid
 * or at worst missing/not-a-directory), and valid flags for that command.
 */
function saneVector(random: Random, s: Scene): string[] {
  const command = pick(random, ['plan', 'plan', 'apply', 'apply', 'apply', 'show', 'watch', 'watch'])
  const argv = [command]
  if (command === 'show') argv.push(pick(random, [s.planFile, s.planFile, s.file]))
  else if (command === 'apply' && random() < 0.3) argv.push(s.planFile)
  else {
    argv.push(pick(random, [s.source, s.source, s.source, s.sentinel, join(s.root, 'missing')]))
    argv.push(pick(random, [s.replica, s.replica, join(s.scratch, 'new-replica'), s.file]))
    if (command === 'watch' && random() < 0.5) {
      argv.push(pick(random, ['0.05', '0.2', '0']))
      if (random() < 0.5) argv.push(join(s.scratch, 'watch.log'))
    } else if (command === 'watch') {
      argv.push('--interval', pick(random, ['0.05', '0.1', 'abc']))
    }
  }
  const flags = saneFlags(command, s)
  for (let n = int(random, 4); n > 0; n--) argv.push(...pick(random, flags))
  if (command === 'apply' && random() < 0.7) argv.push('--auto-approve')
  return argv
}

export function randomVector(random: Random, scene: Scene): Vector {
  const p = pools(scene)
  if (random() < 0.45) {
    const argv = saneVector(random, scene)
    return describe(argv[0]!, argv)
  }
  return hostileVector(random, scene, p)
}

function describe(command: string, argv: string[]): Vector {
  const helpish = argv.some((a) => ['--help', '-h', '--version', '-v', 'help'].includes(a) || a.startsWith('--help='))
  const known = ['plan', 'apply', 'show', 'watch'].includes(command)
  return {
    argv,
    command,
    mayExit2: command === 'plan' && argv.some((a) => a === '--detailed-exitcode' || a.startsWith('--detailed-exitcode=')),
    jsonOnly: known && command !== 'watch' && argv.includes('--json') && !argv.includes('--') && !helpish,
    known,
  }
}

function hostileVector(random: Random, scene: Scene, p: Pools): Vector {
  const command = pick(random, COMMANDS)
  const argv: string[] = command === '' ? [] : [command]

  // Positionals.
  if (command === 'show' || (command === 'apply' && random() < 0.3)) {
    if (random() < 0.9) argv.push(pick(random, p.planFiles))
    if (random() < 0.15) argv.push(pick(random, p.replicas))
  } else {
    const n = pick(random, [0, 1, 2, 2, 2, 2, 2, 3, 4])
    const source = pick(random, p.sources)
    if (n >= 1) argv.push(source)
    if (n >= 2) {
      const overlapping = p.overlapping(source)
      argv.push(overlapping.length > 0 && random() < 0.25 ? pick(random, overlapping) : pick(random, p.replicas))
    }
    if (n >= 3) argv.push(command === 'watch' ? pick(random, p.intervals) : pick(random, ['extra', join(scene.scratch, 'x')]))
    if (n >= 4) argv.push(command === 'watch' ? pick(random, p.writable) : '--')
  }
  if (command === 'watch' && !argv.slice(1).some((a) => p.intervals.includes(a)) && random() < 0.7) {
    // Most watch vectors get a short interval, so one that is not refused loops quickly.
    argv.push('--interval', pick(random, ['0.05', '0.2', '0.05', '0', 'abc']))
  }

  // Flags (after the positionals): known ones in every form, unknown ones, repeats.
  let dangling: string | undefined
  for (let n = int(random, 4); n > 0; n--) {
    if (random() < 0.12) {
      argv.push(pick(random, UNKNOWN_FLAGS))
      continue
    }
    const flag = pick(random, FLAGS)
    if (flag.kind === 'bool') {
      argv.push(random() < 0.9 ? `--${flag.name}` : `--${flag.name}=${pick(random, ['true', 'yes', ''])}`)
      continue
    }
    const value = pick(random, flag.values!(p, scene))
    const form = random()
    if (form < 0.6) argv.push(`--${flag.name}`, value)
    else if (form < 0.9) argv.push(`--${flag.name}=${value}`)
    else dangling = `--${flag.name}`
  }
  if (dangling) argv.push(dangling)
  return describe(command, argv)
}
