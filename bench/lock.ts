import {readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {BenchError} from './measure.js'

/**
 * Takes `DATA_DIR/bench.lock` for this process: two benches on one data directory would
 * share trees, caches and change rounds, and slow each other down. A lock whose process
 * is gone (a killed bench) is taken over. Returns the function that releases it.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'bench.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), {flag: 'wx'})
      return () => rm(file, {force: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const pid = Number(await readFile(file, 'utf8').catch(() => ''))
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new BenchError(`another bench (pid ${pid}) is using ${dataDir}; wait for it to finish or pass another --data-dir`)
      }
      await rm(file, {force: true})
    }
  }
  throw new BenchError(`cannot take the lock ${file}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
