import {existsSync, mkdirSync, utimesSync} from 'node:fs'
import {readFile, statfs, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ContentWriter} from './content.js'
import {BenchError, runQuiet} from './measure.js'
import {DIR_MTIME, dirPaths, fileAt, topDirPaths, type TreeName, type TreeSpec} from './layout.js'

/** Bump when the generator's output changes, so old data is regenerated, never reused. */
const GENERATOR_VERSION = 1
const BLOCK = 4096

/** Where a tree and its copies live under the data directory. */
export interface TreePaths {
  root: string
  source: string
  /** Exact copies made when the tree is generated, by name (e.g. one per tool). */
  replicas: Record<string, string>
  marker: string
}

/** Exact copies of each tree: small needs one per tool because the 1% apply writes to them. */
export const REPLICAS: Record<TreeName, string[]> = {
  small: ['replica-ts', 'replica-ref'],
  large: ['replica'],
  huge: ['replica'],
}

/** Extra copies that scenarios create and delete (initial apply), for the disk-space check. */
const SCRATCH_COPIES: Record<TreeName, number> = {small: 1, large: 1, huge: 0}

/** The paths of a tree; a pure function of the data directory. */
export function treePaths(dataDir: string, name: TreeName): TreePaths {
  const root = join(dataDir, name)
  const replicas = Object.fromEntries(REPLICAS[name].map((replica) => [replica, join(root, replica)]))
  return {root, source: join(root, 'source'), replicas, marker: join(root, 'tree.json')}
}

/**
 * Makes sure the tree exists as `spec` describes, with its replicas: reuses it when its
 * marker matches, else (unless `skipGenerate`) deletes and regenerates it. The marker is
 * written last, so an interrupted generation is never mistaken for a finished one.
 */
export async function ensureTree(dataDir: string, spec: TreeSpec, skipGenerate: boolean, log: (line: string) => void): Promise<TreePaths> {
  const paths = treePaths(dataDir, spec.name)
  const expected = JSON.stringify({generator: GENERATOR_VERSION, spec, replicas: REPLICAS[spec.name]})
  const found = await readFile(paths.marker, 'utf8').catch(() => undefined)
  if (found === expected && existsSync(paths.source)) return paths
  if (skipGenerate) {
    throw new BenchError(`${spec.name} tree ${found === undefined ? 'is missing' : 'has other parameters'} in ${paths.root} and --skip-generate was given`)
  }
  await runQuiet(['rm', '-rf', paths.root])
  mkdirSync(paths.root, {recursive: true})
  await checkFreeSpace(dataDir, spec)
  const started = process.hrtime.bigint()
  log(`generating ${spec.name}: ${spec.files} files of ${spec.minBytes}-${spec.maxBytes} B in ${spec.dirs} directories`)
  generateSource(paths.source, spec, log)
  for (const replica of Object.values(paths.replicas)) {
    log(`copying ${spec.name} source to ${replica}`)
    await runQuiet(['cp', '-a', paths.source, replica])
  }
  await writeFile(paths.marker, expected)
  log(`${spec.name} ready in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`)
  return paths
}

/** Writes the source tree; synchronous calls, because one file at a time is what the disk sees anyway. */
function generateSource(source: string, spec: TreeSpec, log: (line: string) => void): void {
  const dirs = dirPaths(spec)
  for (const dir of dirs) mkdirSync(join(source, dir), {recursive: true})
  const writer = new ContentWriter(spec.seed)
  const step = Math.max(1, Math.ceil(spec.files / 10))
  for (let index = 0; index < spec.files; index++) {
    const file = fileAt(spec, dirs, index)
    writer.writeFile(join(source, file.path), file)
    if ((index + 1) % step === 0) log(`  ${spec.name}: ${index + 1}/${spec.files} files`)
  }
  // Directory mtimes last: creating the files above changed them.
  for (const dir of [...dirs, ...topDirPaths(spec), '.']) utimesSync(join(source, dir), DIR_MTIME, DIR_MTIME)
}

/** Refuses to start a generation that would fill the disk (source, replicas, scratch copies). */
async function checkFreeSpace(dataDir: string, spec: TreeSpec): Promise<void> {
  const average = (spec.minBytes + spec.maxBytes) / 2
  const perCopy = spec.files * (Math.ceil(average / BLOCK) + 1) * BLOCK
  const needed = perCopy * (1 + REPLICAS[spec.name].length + SCRATCH_COPIES[spec.name])
  const fs = await statfs(dataDir)
  const free = fs.bavail * fs.bsize
  if (free < needed) {
    const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(1)
    throw new BenchError(`the ${spec.name} tree needs about ${gib(needed)} GiB in ${dataDir} but only ${gib(free)} GiB are free (lower its size or --scale)`)
  }
}
