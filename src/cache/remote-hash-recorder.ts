import type {Backend} from '../backend/backend.js'
import type {Operation} from '../plan/operation.js'
import {identityFieldsOf, isRacyOnBackend} from '../scan/backend-hash-identity.js'
import {Limiter} from '../util/limiter.js'
import type {HashCache} from './hash-cache.js'
import {knownContent} from './replica-hash-recorder.js'
import {wallClockNs} from './wall-clock.js'

/** Stats in flight: each is a round trip to the server. */
const STATS_IN_FLIGHT = 16

/**
 * A remote replica's counterpart of `ReplicaHashRecorder`, run once apply is done: each
 * file apply wrote, moved or touched is stat'ed through the backend and remembered with
 * the plan's MD5 while it still has the size and (at the backend's precision) the mtime
 * apply gave it, keyed as the scan keys remote files (`identityFieldsOf`). Without this
 * the next plan would read every file just written back over the network. A remote file
 * has no ctime to prove nobody wrote it since, so an mtime too recent to trust (the
 * backend racy rule) is not remembered either.
 */
export async function recordRemoteWrites(cache: HashCache, replica: Backend, applied: readonly Operation[]): Promise<void> {
  const examinedNs = wallClockNs()
  const precisionMs = Math.max(1, replica.capabilities.mtimePrecisionNs / 1e6)
  const limiter = new Limiter(STATS_IN_FLIGHT)
  await Promise.all(
    applied.map((op) =>
      limiter.run(async () => {
        if (op.op === 'rename') cache.forget(op.from)
        const known = knownContent(op)
        const entry = known && (await replica.stat(op.path).catch(() => undefined))
        const untouched = entry?.type === 'file' && entry.size === known!.size && Math.abs(Number(entry.mtimeNs / 1_000_000n) - known!.mtimeMs) < precisionMs
        if (!untouched) return cache.forget(op.path)
        const identity = {size: entry.size, ...identityFieldsOf(entry)}
        if (isRacyOnBackend(identity, examinedNs, replica.capabilities)) return cache.forget(op.path)
        cache.record(op.path, {...identity, md5: known!.md5}, examinedNs)
      }),
    ),
  )
}
