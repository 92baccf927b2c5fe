import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {FileSpec} from './layout.js'
import {BenchError} from './measure.js'

/**
 * Checks that `root` holds these files with their size and mtime: a tool that exits 0
 * without doing the work would otherwise look fast.
 */
export async function verifyFiles(root: string, files: FileSpec[], tool: string): Promise<void> {
  for (const file of files) {
    const st = await stat(join(root, file.path)).catch(() => undefined)
    if (!st || st.size !== file.size || Math.floor(st.mtimeMs / 1000) !== file.mtime) {
      throw new BenchError(`${tool} exited 0 but ${join(root, file.path)} is ${st ? `${st.size} B, mtime ${st.mtimeMs / 1000}` : 'missing'}; expected ${file.size} B, mtime ${file.mtime}`)
    }
  }
}
