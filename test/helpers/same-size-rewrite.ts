import {lstat, readFile, writeFile} from 'node:fs/promises'

import {setTime} from './tree-builder.js'

/**
 * Rewrites a file with other bytes of the same size (each byte inverted) and puts its
 * mtime back: a change that size and mtime checks cannot see (only its ctime tells), as
 * an editor, a restore or a malicious process could make between plan and apply.
 */
export async function rewriteKeepingSizeAndMtime(absPath: string): Promise<void> {
  const {mtimeNs} = await lstat(absPath, {bigint: true})
  const bytes = await readFile(absPath)
  await writeFile(absPath, bytes.map((byte) => byte ^ 0xff))
  await setTime(absPath, Number(mtimeNs / 1_000_000n))
}
