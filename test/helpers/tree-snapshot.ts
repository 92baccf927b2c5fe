import {createHash} from 'node:crypto'
import assert from 'node:assert/strict'
import {lstat, readdir, readFile, readlink} from 'node:fs/promises'
import {join} from 'node:path'

/** Everything a mirror must reproduce about one entry. */
export interface SnapshotEntry {
  path: string
  type: 'file' | 'dir' | 'symlink' | 'other'
  mode?: number
  mtimeMs?: number
  md5?: string
  target?: string
}

/**
 * Reads a whole tree from disk, independently of the engine, sorted by path. Symlink
 * mtimes and modes are left out (the contract does not require them).
 */
export async function snapshotTree(root: string): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(join(root, dir))) {
      const path = dir === '' ? name : `${dir}/${name}`
      const abs = join(root, path)
      const st = await lstat(abs, {bigint: true})
      const mtimeMs = Number(st.mtimeNs / 1_000_000n)
      const mode = Number(st.mode & 0o7777n)
      if (st.isSymbolicLink()) out.push({path, type: 'symlink', target: await readlink(abs)})
      else if (st.isFile()) out.push({path, type: 'file', mode, mtimeMs, md5: createHash('md5').update(await readFile(abs)).digest('hex')})
      else if (st.isDirectory()) {
        out.push({path, type: 'dir', mode, mtimeMs})
        await walk(path)
      } else out.push({path, type: 'other'})
    }
  }
  await walk('')
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Asserts that `replica` is an exact mirror of `source`: types, bytes, targets, modes, mtimes. */
export async function assertMirror(source: string, replica: string, message?: string): Promise<void> {
  assert.deepEqual(await snapshotTree(replica), await snapshotTree(source), message)
}
