import {lstatSync, type BigIntStats} from 'node:fs'
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
  // One lstat at a time, synchronously, yielding now and then: a promise per file would
  // hold every pending lstat of a large apply in memory at once.
  for (const [i, {path, md5, size, mtimeMs}] of known.entries()) {
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve))
    const st = lstatOrUndefined(join(replicaRoot, path))
    // Anything but the size and mtime apply gave it means someone else wrote it since.
    if (!st?.isFile() || Number(st.size) !== size || Number(st.mtimeNs / 1_000_000n) !== mtimeMs) cache.forget(path)
    else cache.remember(path, {size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, md5}, examinedNs)
  }
}

const YIELD_EVERY = 1000

function lstatOrUndefined(abs: string): BigIntStats | undefined {
  try {
    return lstatSync(abs, {bigint: true})
  } catch {
    return undefined // gone or unreadable: forgotten, hashed again next time
  }
}
