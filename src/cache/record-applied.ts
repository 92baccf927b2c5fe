import {lstat} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Operation} from '../plan/operation.js'
import {RACY_WINDOW_MS, type HashCache} from './hash-cache.js'
import {wallClockNs} from './wall-clock.js'

/**
 * Brings the replica's hash cache up to date after apply, so the next plan hashes nothing:
 * removed paths are forgotten; files apply wrote, moved or touched have known content
 * (the plan's MD5), so they are re-stat'ed and remembered. Their timestamps were set a
 * moment ago, so this first waits out the racy window.
 */
export async function recordApplied(cache: HashCache, replicaRoot: string, applied: readonly Operation[]): Promise<void> {
  const known: Array<{path: string; md5: string; size: number; mtimeMs: number}> = []
  for (const op of applied) {
    if (op.op === 'delete' || op.op === 'rmdir') cache.forget(op.path)
    else if (op.op === 'rename') {
      cache.forget(op.from)
      if (op.md5) known.push({path: op.path, md5: op.md5, size: op.size, mtimeMs: op.mtimeMs})
    } else if ((op.op === 'create' || op.op === 'update') && op.type === 'file') {
      if (op.md5) known.push({path: op.path, md5: op.md5, size: op.size, mtimeMs: op.mtimeMs})
      else cache.forget(op.path)
    } else if ((op.op === 'create' || op.op === 'update') && op.type === 'symlink') cache.forget(op.path)
    else if (op.op === 'meta' && op.type === 'file') {
      if (op.replica.md5 && op.replica.size !== undefined) known.push({path: op.path, md5: op.replica.md5, size: op.replica.size, mtimeMs: op.mtimeMs})
      else cache.forget(op.path)
    }
  }
  if (known.length === 0) return
  // A margin over the window: timers count from a millisecond-rounded loop clock, so a
  // bare window can wake a fraction of a millisecond short of it after a file's ctime.
  await sleep(RACY_WINDOW_MS + 10)
  const examinedNs = wallClockNs()
  await Promise.all(
    known.map(async ({path, md5, size, mtimeMs}) => {
      try {
        const st = await lstat(join(replicaRoot, path), {bigint: true})
        // Anything but the size and mtime apply gave it means someone else wrote it since.
        if (!st.isFile() || Number(st.size) !== size || Number(st.mtimeNs / 1_000_000n) !== mtimeMs) return cache.forget(path)
        cache.remember(path, {size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, md5}, examinedNs)
      } catch {
        cache.forget(path)
      }
    }),
  )
}
