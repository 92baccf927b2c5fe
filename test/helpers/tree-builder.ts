import {chmod, lutimes, mkdir, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

/** One entry to create on disk. Directories of files are created implicitly. */
export type EntrySpec =
  | {path: string; type: 'file'; content: string | Buffer; mode?: number; mtimeMs?: number}
  | {path: string; type: 'dir'; mode?: number; mtimeMs?: number}
  | {path: string; type: 'symlink'; target: string}

/** A fixed instant for test trees, so mtimes are reproducible (2024-01-02T03:04:05.678Z). */
export const FIXED_MTIME_MS = 1_704_164_645_678

const DEFAULT_FILE_MODE = 0o644
const DEFAULT_DIR_MODE = 0o755

/**
 * Builds a tree from specs with exact modes and mtimes (default `FIXED_MTIME_MS`).
 * Directory metadata is set last, deepest first, since creating entries changes it.
 */
export async function buildTree(root: string, specs: readonly EntrySpec[]): Promise<void> {
  await mkdir(root, {recursive: true})
  const dirs = new Map<string, {mode: number; mtimeMs: number}>()
  const ensureParents = async (path: string): Promise<void> => {
    const parts = path.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (!dirs.has(dir)) dirs.set(dir, {mode: DEFAULT_DIR_MODE, mtimeMs: FIXED_MTIME_MS})
      await mkdir(join(root, dir), {recursive: true})
    }
  }
  for (const spec of specs) {
    await ensureParents(spec.path)
    const abs = join(root, spec.path)
    if (spec.type === 'dir') {
      await mkdir(abs, {recursive: true})
      dirs.set(spec.path, {mode: spec.mode ?? DEFAULT_DIR_MODE, mtimeMs: spec.mtimeMs ?? FIXED_MTIME_MS})
    } else if (spec.type === 'file') {
      await writeFile(abs, spec.content)
      await chmod(abs, spec.mode ?? DEFAULT_FILE_MODE)
      await setTime(abs, spec.mtimeMs ?? FIXED_MTIME_MS)
    } else {
      await symlink(spec.target, abs)
    }
  }
  const deepestFirst = [...dirs.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length)
  for (const [dir, meta] of deepestFirst) {
    await chmod(join(root, dir), meta.mode)
    await setTime(join(root, dir), meta.mtimeMs)
  }
}

/** Sets an exact whole-millisecond mtime (see src/apply/timestamps.ts for the +0.5). */
export async function setTime(abs: string, mtimeMs: number): Promise<void> {
  await lutimes(abs, (mtimeMs + 0.5) / 1000, (mtimeMs + 0.5) / 1000)
}
