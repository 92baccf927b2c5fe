import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import type {TreeName, TreeSpec} from './layout.js'
import {BenchError} from './measure.js'

/** Everything `npm run bench -- …` can set. */
export interface BenchOptions {
  dataDir: string
  runs: number
  initialRuns: number
  specs: Record<TreeName, TreeSpec>
  only?: string[]
  skipGenerate: boolean
  out?: string
  bin: string
  timeoutSeconds: number
  help: boolean
}

const KIB = 1024
const MIB = 1024 * KIB

/** Usage text for `--help`. */
export const USAGE = `npm run bench -- [flags]

  --runs N            timed runs per scenario, median reported (default 3)
  --initial-runs N    timed runs of the initial-apply scenarios (default: --runs)
  --only a,b          run only these scenario ids
  --data-dir DIR      where trees are generated and kept (default $TMPDIR/treesync-bench)
  --skip-generate     fail instead of generating a missing tree
  --out FILE          also write the report to FILE
  --bin FILE          treesync's bin/run.js (default: this repository's)
  --timeout S         kill a run after S seconds and report the tool as timed out (default 600)
  --scale F           multiply file counts (small, huge) and file sizes (large) by F
  --seed N            seed of the generated trees (default 1)
  --small-files N     (default 100000)   --small-dirs N (default 2000)
  --large-files N     (default 40)       --large-min-mib N (default 50)  --large-max-mib N (default 150)
  --huge-files N      (default 1000000)  --huge-dirs N (default 10000)
`

const NUMBERS = {
  runs: 3,
  'initial-runs': 0,
  scale: 1,
  seed: 1,
  timeout: 600,
  'small-files': 100_000,
  'small-dirs': 2000,
  'large-files': 40,
  'large-min-mib': 50,
  'large-max-mib': 150,
  'huge-files': 1_000_000,
  'huge-dirs': 10_000,
} as const
type NumberFlag = keyof typeof NUMBERS

/** Parses the bench's flags; a bad flag is a BenchError. */
export function parseOptions(argv: string[]): BenchOptions {
  const numberOptions = Object.fromEntries(Object.keys(NUMBERS).map((name) => [name, {type: 'string' as const}]))
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...numberOptions,
        'data-dir': {type: 'string'},
        only: {type: 'string'},
        'skip-generate': {type: 'boolean'},
        out: {type: 'string'},
        bin: {type: 'string'},
        help: {type: 'boolean', short: 'h'},
      },
    }).values
  } catch (error) {
    throw new BenchError(`${(error as Error).message}\n${USAGE}`)
  }
  const num = (name: NumberFlag): number => {
    const text = values[name]
    if (text === undefined) return NUMBERS[name]
    const value = Number(text)
    if (typeof text !== 'string' || !Number.isFinite(value) || value < 0) throw new BenchError(`--${name} must be a non-negative number, not ${String(text)}`)
    return value
  }
  const runs = Math.round(num('runs'))
  if (runs < 1) throw new BenchError('--runs must be at least 1')
  const scale = num('scale')
  if (scale <= 0) throw new BenchError('--scale must be greater than 0')
  const count = (n: number): number => Math.max(1, Math.round(n * scale))
  const seed = Math.round(num('seed'))
  const smallFiles = count(num('small-files'))
  const hugeFiles = count(num('huge-files'))
  const [largeMin, largeMax] = [num('large-min-mib'), num('large-max-mib')].map((mib) => Math.max(1, Math.round(mib * MIB * scale)))
  if (largeMin > largeMax) throw new BenchError('--large-min-mib must not exceed --large-max-mib')

  // npm runs scripts in the package root; paths are meant relative to where npm was started.
  const cwd = process.env.INIT_CWD ?? process.cwd()
  return {
    dataDir: resolve(cwd, typeof values['data-dir'] === 'string' ? values['data-dir'] : join(tmpdir(), 'treesync-bench')),
    runs,
    initialRuns: num('initial-runs') >= 1 ? Math.round(num('initial-runs')) : runs,
    specs: {
      small: {name: 'small', files: smallFiles, dirs: Math.min(smallFiles, count(num('small-dirs'))), minBytes: 1 * KIB, maxBytes: 16 * KIB, seed: seed * 3 + 0},
      large: {name: 'large', files: Math.max(1, Math.round(num('large-files'))), dirs: 1, minBytes: largeMin, maxBytes: largeMax, seed: seed * 3 + 1},
      huge: {name: 'huge', files: hugeFiles, dirs: Math.min(hugeFiles, count(num('huge-dirs'))), minBytes: 0, maxBytes: 64, seed: seed * 3 + 2},
    },
    only: typeof values.only === 'string' ? values.only.split(',').map((id) => id.trim()).filter(Boolean) : undefined,
    skipGenerate: values['skip-generate'] === true,
    out: typeof values.out === 'string' ? resolve(cwd, values.out) : undefined,
    bin: resolve(cwd, typeof values.bin === 'string' ? values.bin : fileURLToPath(new URL('../../bin/run.js', import.meta.url))),
    timeoutSeconds: Math.max(1, num('timeout')),
    help: values.help === true,
  }
}
