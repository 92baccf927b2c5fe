import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdir, realpath, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {LocalBackend} from '../../src/backend/local/local-backend.js'
import {FULL_CAPABILITIES, type RootCapabilities} from '../../src/backend/capabilities.js'
import {comparisonFor, exactComparison} from '../../src/plan/equality.js'
import type {CompareMode} from '../../src/plan/plan.js'
import {planSync} from '../../src/plan/plan-sync.js'
import {scanBackendPair} from '../../src/scan/scan-backend-pair.js'
import {scanPair, type ScannedPair} from '../../src/scan/scan-pair.js'
import type {ScanSettings} from '../../src/settings.js'
import type {Entry} from '../../src/tree/entry.js'
import {mutateTree, randomTree, seededRandom} from '../helpers/random-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {wrapBackend} from '../helpers/wrapped-backend.js'

const CREATED_AT = '2026-01-01T00:00:00.000Z'
const TEMPORARY = '.treesync-0123456789abcdef.tmp'

/** A replica that keeps less (FAT-like): names without case, 2-second mtimes, no modes or symlinks. */
const LIMITED: RootCapabilities = {
  source: FULL_CAPABILITIES,
  replica: {...FULL_CAPABILITIES, caseSensitive: false, mtimePrecisionNs: 2e9, modes: false, symlinks: false},
}

function settingsFor(compare: CompareMode, exclude: ScanSettings['exclude'] = {patterns: [], paths: []}, capabilities?: RootCapabilities): ScanSettings {
  return {comparison: capabilities ? comparisonFor(compare, capabilities) : exactComparison(compare), exclude}
}

/** Scans two local folders through LocalBackends, closing them after. */
async function scanLocalBackends(source: string, replica: string, settings: ScanSettings): Promise<ScannedPair> {
  const backends = {source: new LocalBackend(source), replica: new LocalBackend(replica)}
  try {
    return await scanBackendPair(backends, settings)
  } finally {
    await Promise.all([backends.source.close(), backends.replica.close()])
  }
}

/** A manifest's entries without the cache identity fields, which differ by design (see backend-hash-identity.ts). */
function visible(entries: readonly Entry[]): Entry[] {
  return entries.map(({ino: _ino, ctimeNs: _ctimeNs, mtimeNs: _mtimeNs, ...rest}) => rest)
}

function planOf(scanned: ScannedPair, compare: CompareMode, capabilities?: RootCapabilities) {
  return planSync(scanned.source, scanned.replica, {compare, createdAt: CREATED_AT, capabilities})
}

describe('scanning two Backends side by side', () => {
  test('random trees: the same manifests and plans as the local scan, under md5 and size-mtime, with exclusions', async (t) => {
    const root = await realpath(await tempDir(t))
    const excludes: Array<ScanSettings['exclude']> = [
      {patterns: [], paths: []},
      {patterns: ['x.txt', 'dir/', '!dir/a'], paths: ['c']},
      {patterns: ['*.txt', 'b'], paths: ['d/a']},
    ]
    for (let seed = 1; seed <= 18; seed++) {
      const random = seededRandom(seed * 104_729)
      const sourceSpecs = randomTree(random, 40)
      const dir = join(root, `${seed}`)
      const [source, replica] = [join(dir, 's'), join(dir, 'r')]
      await buildTree(source, sourceSpecs)
      if (seed % 6 !== 5) await buildTree(replica, seed % 4 === 0 ? randomTree(random, 40) : mutateTree(random, sourceSpecs))
      if (seed % 3 === 0) {
        // Leftover temporaries are recorded, special files warned about and left out, on either side.
        await writeFile(join(source, TEMPORARY), 'partial')
        execFileSync('mkfifo', [join(source, 'fifo')])
        await mkdir(join(replica, 'deep'), {recursive: true})
        await writeFile(join(replica, 'deep', TEMPORARY), 'partial')
        execFileSync('mkfifo', [join(replica, 'deep', 'fifo')])
        // Names that clash on a replica without case: the planner must see both.
        await writeFile(join(source, 'Case'), 'upper')
        await writeFile(join(source, 'case'), 'lower')
        await writeFile(join(replica, 'case'), 'lower')
      }
      // Every other seed against a replica that keeps less (equal pairs are then judged its way).
      const capabilities = seed % 2 === 0 ? LIMITED : undefined
      for (const compare of ['md5', 'size-mtime'] as const) {
        const settings = settingsFor(compare, excludes[seed % excludes.length], capabilities)
        const local = await scanPair({source, replica}, settings)
        const generic = await scanLocalBackends(source, replica, settings)
        const what = `seed ${seed}, ${compare}`
        const [expected, actual] = [planOf(local, compare, capabilities), planOf(generic, compare, capabilities)]
        assert.deepEqual(actual.operations, expected.operations, `${what}: operations`)
        assert.deepEqual(actual.warnings, expected.warnings, `${what}: warnings`)
        assert.deepEqual(actual.entries, expected.entries, `${what}: entry counts (the delete-all guard's)`)
        assert.equal(actual.createsReplica, expected.createsReplica, `${what}: a missing replica`)
        for (const side of ['source', 'replica'] as const) {
          const [l, g] = [local[side], generic[side]]
          assert.deepEqual(visible(g.entries), visible(l.entries), `${what}: ${side} entries`)
          assert.deepEqual([g.exists, g.matched, g.temporaries, g.excluded], [l.exists, l.matched, l.temporaries, l.excluded], `${what}: ${side}`)
        }
        assert.deepEqual(generic.hashing, local.hashing, `${what}: files hashed`)
      }
    }
  })

  test('a missing source root, a root that is a file, and an unreadable root are refused with BAD_INPUT', async (t) => {
    const root = await realpath(await tempDir(t))
    await writeFile(join(root, 'file'), 'x')
    await mkdir(join(root, 'r'))
    const settings = settingsFor('md5')
    await assert.rejects(scanLocalBackends(join(root, 'missing'), join(root, 'r'), settings), {code: 'BAD_INPUT', message: /no such file or directory/})
    // The local backend says so itself ("... is no longer a directory").
    await assert.rejects(scanLocalBackends(join(root, 'file'), join(root, 'r'), settings), {code: 'BAD_INPUT', message: /directory/})
    await assert.rejects(scanLocalBackends(join(root, 'r'), join(root, 'file'), settings), {code: 'BAD_INPUT', message: /directory/})
    const source = new LocalBackend(join(root, 'r'))
    const failing = wrapBackend(source, {
      list: async () => {
        throw Object.assign(new Error('EACCES'), {code: 'EACCES'})
      },
    })
    await assert.rejects(scanBackendPair({source: failing, replica: new LocalBackend(join(root, 'missing'))}, settings), {
      code: 'BAD_INPUT',
      message: /cannot read .*: permission denied/,
    })
  })
})
