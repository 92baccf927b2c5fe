/**
 * Builds the demo trees from fixtures/demo into a scratch directory (default `.demo/`).
 * Git keeps neither mtimes, modes beyond +x, nor empty directories, so those come from
 * fixtures/demo/attributes.json and are applied here. Fixtures are never modified.
 */
import {chmod, cp, lutimes, mkdir, readdir, readFile, lstat, rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const DEMO_FIXTURE = fileURLToPath(new URL('../../fixtures/demo', import.meta.url))

interface Attributes {
  mtimeMs: Record<string, number> & {default: number}
  mode: Record<string, number>
  emptyDirs: string[]
}

/** Copies fixtures/demo/{source,replica} into `dest` and applies their attributes. */
export async function prepareDemo(dest: string): Promise<{source: string; replica: string}> {
  const attributes = JSON.parse(await readFile(join(DEMO_FIXTURE, 'attributes.json'), 'utf8')) as Attributes
  await rm(dest, {recursive: true, force: true})
  await mkdir(dest, {recursive: true})
  for (const side of ['source', 'replica']) {
    await cp(join(DEMO_FIXTURE, side), join(dest, side), {recursive: true, verbatimSymlinks: true})
  }
  for (const dir of attributes.emptyDirs) await mkdir(join(dest, dir), {recursive: true})
  for (const [path, mode] of Object.entries(attributes.mode)) await chmod(join(dest, path), mode)

  // Deepest first, so setting a directory's mtime comes after everything inside it.
  const all = (await listAll(dest, '')).sort((a, b) => b.split('/').length - a.split('/').length)
  for (const path of all) {
    const mtimeMs = attributes.mtimeMs[path] ?? attributes.mtimeMs.default
    await lutimes(join(dest, path), (mtimeMs + 0.5) / 1000, (mtimeMs + 0.5) / 1000)
  }
  return {source: join(dest, 'source'), replica: join(dest, 'replica')}
}

async function listAll(root: string, dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await readdir(join(root, dir))) {
    const path = dir === '' ? name : `${dir}/${name}`
    out.push(path)
    if ((await lstat(join(root, path))).isDirectory()) out.push(...(await listAll(root, path)))
  }
  return out
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = resolve(process.argv[2] ?? '.demo')
  const {source, replica} = await prepareDemo(dest)
  process.stdout.write(`Demo trees ready:\n  source:  ${source}\n  replica: ${replica}\n\n`)
}
