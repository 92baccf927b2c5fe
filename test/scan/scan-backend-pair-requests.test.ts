import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFile, realpath, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import type {Backend, ListedEntry} from '../../src/backend/backend.js'
import {FULL_CAPABILITIES} from '../../src/backend/capabilities.js'
import {LocalBackend} from '../../src/backend/local/local-backend.js'
import {MemoryHashCache} from '../../src/cache/memory-hash-cache.js'
import {exactComparison} from '../../src/plan/equality.js'
import {planSync} from '../../src/plan/plan-sync.js'
import {scanBackendPair} from '../../src/scan/scan-backend-pair.js'
import {scanPair, type PairScanProgress, type ScannedPair} from '../../src/scan/scan-pair.js'
import type {ScanSettings} from '../../src/settings.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, type EntrySpec} from '../helpers/tree-builder.js'
import {InFlightCounter, wrapBackend} from '../helpers/wrapped-backend.js'

const CREATED_AT = '2026-01-01T00:00:00.000Z'
const MD5: ScanSettings = {comparison: exactComparison('md5'), exclude: {patterns: [], paths: []}}
const BIG = Buffer.alloc(1536 * 1024, 7)
/** What a cold scan of `pairOfTrees(t)` reads: both big files, 3 × (6 + 8) bytes a side, changed.txt and moved.txt on both. */
const HASHED_BYTES = 2 * BIG.length + 2 * 42 + 2 * 4 + 2 * 5

/** Two trees that need hashing on both sides: equal pairs, a changed file, a big file, a possible move. */
async function pairOfTrees(t: Parameters<typeof tempDir>[0], dirs = 3): Promise<{source: string; replica: string}> {
  const root = await realpath(await tempDir(t))
  const [source, replica] = [join(root, 's'), join(root, 'r')]
  const common: EntrySpec[] = []
  for (let i = 0; i < dirs; i++) {
    common.push({path: `d${i}/same.txt`, type: 'file', content: `same ${i}`}, {path: `d${i}/sub/deeper.txt`, type: 'file', content: `deeper ${i}`})
  }
  await buildTree(source, [...common, {path: 'big.bin', type: 'file', content: BIG}, {path: 'changed.txt', type: 'file', content: 'new!'}, {path: 'new/moved.txt', type: 'file', content: 'moved'}])
  await buildTree(replica, [...common, {path: 'big.bin', type: 'file', content: BIG}, {path: 'changed.txt', type: 'file', content: 'old!'}, {path: 'old/moved.txt', type: 'file', content: 'moved'}])
  return {source, replica}
}

function locals({source, replica}: {source: string; replica: string}): {source: Backend; replica: Backend} {
  return {source: new LocalBackend(source), replica: new LocalBackend(replica)}
}

function operationsOf(scanned: ScannedPair): string[] {
  return planSync(scanned.source, scanned.replica, {compare: 'md5', createdAt: CREATED_AT}).operations.map((op) => `${op.op} ${op.path} ${op.reason}`)
}

describe('a scan over two Backends: requests, failures and the hash cache', () => {
  test('listings and hashes run many at a time, never more than the limit', async (t) => {
    const roots = await pairOfTrees(t, 24)
    const inner = locals(roots)
    for (const limit of [4, undefined]) {
      const lists = new InFlightCounter()
      const hashes = new InFlightCounter()
      const counted = (backend: Backend): Backend =>
        wrapBackend(backend, {
          list: (dir) => lists.around(() => backend.list(dir), 5),
          hash: (path, bytes) => hashes.around(() => backend.hash(path, bytes), 5),
        })
      const scanned = await scanBackendPair({source: counted(inner.source), replica: counted(inner.replica)}, {...MD5, concurrency: limit})
      const most = limit ?? 16
      assert.ok(lists.most > 1 && lists.most <= most, `listings in flight: ${lists.most} (limit ${most})`)
      assert.ok(hashes.most > 1 && hashes.most <= most, `hashes in flight: ${hashes.most} (limit ${most})`)
      // The root and 24 × (dN, dN/sub) on each side, new/ on the source's, old/ on the replica's.
      assert.equal(lists.calls, 2 * (1 + 24 * 2) + 2, 'every directory listed once on each side that has it')
      assert.deepEqual(operationsOf(scanned), operationsOf(await scanPair(roots, MD5)))
    }
  })

  test('a directory that cannot be listed and a file that cannot be read are errors with their path; the walk goes on', async (t) => {
    const roots = await pairOfTrees(t)
    await writeFile(join(roots.replica, 'd1', 'extra.txt'), 'only in the replica')
    const denied = (): never => {
      throw Object.assign(new Error('EACCES: permission denied'), {code: 'EACCES'})
    }
    const inner = locals(roots)
    const source = wrapBackend(inner.source, {
      list: (dir) => (dir === 'd1' ? denied() : inner.source.list(dir)),
      hash: (path, bytes) => (path === 'changed.txt' ? denied() : inner.source.hash(path, bytes)),
    })
    const scanned = await scanBackendPair({source, replica: inner.replica}, MD5)
    assert.deepEqual(scanned.source.warnings, [
      {path: 'changed.txt', message: 'cannot read file: permission denied', level: 'error'},
      {path: 'd1', message: 'cannot read directory: permission denied', level: 'error'},
    ])
    assert.equal(scanned.source.entries.find((e) => e.path === 'd1')?.unreadable, true)
    assert.equal(scanned.source.entries.find((e) => e.path === 'changed.txt')?.unreadable, true)
    const operations = operationsOf(scanned)
    assert.ok(!operations.some((op) => op.includes('d1/') || op.includes('changed.txt')), `nothing under d1 nor changed.txt is touched: ${operations}`)
    assert.ok(operations.includes('rename new/moved.txt moved'), 'the rest of the tree was scanned')
    assert.ok(scanned.source.matched! >= 4, 'd0 and d2 were settled')
  })

  test('hashes that come with the listing (freeHashes) are never read again', async (t) => {
    const roots = await pairOfTrees(t)
    const inner = locals(roots)
    const hashCalls: string[] = []
    const withFreeHashes = (backend: Backend, root: string): Backend =>
      wrapBackend(backend, {
        capabilities: {...FULL_CAPABILITIES, freeHashes: ['md5']},
        list: async (dir) => {
          const listed = await backend.list(dir)
          const md5Of = async (entry: ListedEntry) => createHash('md5').update(await readFile(join(root, dir, entry.name))).digest('hex')
          return Promise.all(listed.map(async (entry) => (entry.type === 'file' ? {...entry, md5: await md5Of(entry)} : entry)))
        },
        hash: (path, bytes) => {
          hashCalls.push(path)
          return backend.hash(path, bytes)
        },
      })
    const caches = {source: new MemoryHashCache(), replica: new MemoryHashCache()}
    const scanned = await scanBackendPair({source: withFreeHashes(inner.source, roots.source), replica: withFreeHashes(inner.replica, roots.replica)}, MD5, {caches})
    assert.deepEqual(hashCalls, [])
    assert.deepEqual(scanned.hashing, {hashedFiles: 0, hashedBytes: 0, cachedFiles: 0})
    assert.deepEqual(operationsOf(scanned), operationsOf(await scanPair(roots, MD5)))
    assert.deepEqual([caches.source.directories(), caches.replica.directories()], [[], []], 'free hashes are not worth a cache record')
  })

  test('a warm hash cache hashes nothing; removed directories lose their records', async (t) => {
    const roots = await pairOfTrees(t)
    const caches = {source: new MemoryHashCache(), replica: new MemoryHashCache()}
    const cold = await scanBackendPair(locals(roots), MD5, {caches})
    // Every source file, the same-size replica twins, and the replica's possible move source.
    assert.deepEqual(cold.hashing, {hashedFiles: 18, hashedBytes: HASHED_BYTES, cachedFiles: 0})
    const warm = await scanBackendPair(locals(roots), MD5, {caches})
    assert.deepEqual(warm.hashing, {hashedFiles: 0, hashedBytes: 0, cachedFiles: 18})
    assert.deepEqual(operationsOf(warm), operationsOf(cold))
    assert.ok(caches.replica.directories().includes('old'))

    const {rm} = await import('node:fs/promises')
    await rm(join(roots.replica, 'old'), {recursive: true})
    await scanBackendPair(locals(roots), MD5, {caches})
    assert.ok(!caches.replica.directories().includes('old'), 'the records of a directory that is gone are dropped')
  })

  test('a file changed within the racy window is hashed again next time; the others come from the cache', async (t) => {
    const roots = await pairOfTrees(t)
    const now = new Date()
    await writeFile(join(roots.source, 'fresh.txt'), 'just written')
    const future = new Date(Date.now() + 3_600_000)
    await writeFile(join(roots.source, 'future.txt'), 'from a clock ahead')
    await utimes(join(roots.source, 'future.txt'), future, future)
    await utimes(join(roots.source, 'fresh.txt'), now, now)
    // A large file is hashed after the walk and recorded on its own: the same rule holds.
    await writeFile(join(roots.source, 'fresh.bin'), BIG)
    await utimes(join(roots.source, 'fresh.bin'), now, now)
    const caches = {source: new MemoryHashCache(), replica: new MemoryHashCache()}
    await scanBackendPair(locals(roots), MD5, {caches})
    const again = await scanBackendPair(locals(roots), MD5, {caches})
    assert.deepEqual(again.hashing, {hashedFiles: 3, hashedBytes: 12 + 18 + BIG.length, cachedFiles: 18})
  })

  test('progress: listings per side, then the hashing left after the walk', async (t) => {
    const roots = await pairOfTrees(t)
    const events: PairScanProgress[] = []
    await scanBackendPair(locals(roots), MD5, {onProgress: (p) => events.push(p)})
    const lastScan = (side: string) => events.filter((e) => e.phase === 'scan' && e.side === side).at(-1)
    assert.deepEqual(lastScan('source'), {phase: 'scan', side: 'source', root: roots.source, entries: 16})
    assert.deepEqual(lastScan('replica'), {phase: 'scan', side: 'replica', root: roots.replica, entries: 16})
    const hashing = events.filter((e) => e.phase === 'hash')
    assert.deepEqual(hashing.at(-1), {phase: 'hash', side: 'source', root: roots.source, hashed: 2, total: 2, bytes: HASHED_BYTES, cached: 0})
  })

  test('aborting stops the scan with an INTERRUPTED error: before, while listing, while hashing', async (t) => {
    const roots = await pairOfTrees(t, 8)
    const inner = locals(roots)
    const aborted = new AbortController()
    aborted.abort()
    await assert.rejects(scanBackendPair(inner, MD5, {signal: aborted.signal}), {code: 'INTERRUPTED'})

    // Requests that never answer once the abort is made: only the abort can end the scan.
    const abortAt = (kind: 'list' | 'hash', path: string): {signal: AbortSignal; backends: {source: Backend; replica: Backend}} => {
      const controller = new AbortController()
      const stall = <T>(at: string, work: () => Promise<T>): Promise<T> => (at === path ? (controller.abort(), new Promise<T>(() => {})) : work())
      const overrides: Partial<Backend> =
        kind === 'list' ? {list: (dir) => stall(dir, () => inner.source.list(dir))} : {hash: (at, bytes) => stall(at, () => inner.source.hash(at, bytes))}
      return {signal: controller.signal, backends: {source: wrapBackend(inner.source, overrides), replica: inner.replica}}
    }
    // d3 is listed during the walk, changed.txt hashed during it, big.bin after it.
    for (const [kind, path] of [['list', 'd3'], ['hash', 'changed.txt'], ['hash', 'big.bin']] as const) {
      const {backends, signal} = abortAt(kind, path)
      await assert.rejects(scanBackendPair(backends, MD5, {signal}), {code: 'INTERRUPTED'}, `${kind} ${path}`)
    }
  })
})

test('a name no file can have (with /, .., NUL) in a listing is skipped with an error naming its directory, never joined into a path', async (t) => {
  const roots = await pairOfTrees(t, 1)
  const {source, replica} = locals(roots)
  const hostile = (dir: string) => async () => {
    const listed = await replica.list(dir)
    if (dir !== '') return listed
    const forged = (name: string): ListedEntry => ({name, type: 'file', size: 1, mtimeNs: 0n, mode: 0o644, changeToken: name})
    return [...listed, forged('../../etc/passwd'), forged('..'), forged('a/b'), forged('nul\0name')]
  }
  const scanned = await scanBackendPair({source, replica: wrapBackend(replica, {list: (dir: string) => hostile(dir)()})}, MD5)
  const errors = scanned.replica.warnings.filter((w) => w.level === 'error')
  assert.equal(errors.length, 4, JSON.stringify(scanned.replica.warnings))
  for (const w of errors) assert.equal(w.path, '')
  for (const e of scanned.replica.entries) assert.ok(!e.path.includes('..') && !e.path.includes('\0'), e.path)
  const plan = planSync(scanned.source, scanned.replica, {compare: 'md5', createdAt: CREATED_AT})
  for (const op of plan.operations) assert.ok(!op.path.split('/').includes('..'), op.path)
})
