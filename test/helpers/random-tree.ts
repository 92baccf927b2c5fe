import type {EntrySpec} from './tree-builder.js'
import {FIXED_MTIME_MS} from './tree-builder.js'

/** mulberry32: a tiny seeded PRNG, so every random tree can be rebuilt from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NAMES = ['a', 'b', 'c', 'd', 'a-b', 'dir', 'x.txt', 'é', 'e\u0301', 'sp ace', 'Z']
const CONTENTS = ['', 'alpha', 'ALPHA', 'beta', 'beto', 'gamma\n', 'delta delta', 'x'.repeat(3000), 'y'.repeat(3000)]
const MODES = [0o644, 0o600, 0o755, 0o444]
const TIMES = [FIXED_MTIME_MS, FIXED_MTIME_MS + 1, FIXED_MTIME_MS - 86_400_000]

/**
 * A random tree as specs: up to `maxEntries` entries, nested up to depth 3, mixing files,
 * directories and symlinks, with a small pool of names, contents, modes and mtimes so
 * that two random trees overlap a lot (renames, updates, meta-only fixes, type changes).
 */
export function randomTree(random: () => number, maxEntries = 25): EntrySpec[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const specs = new Map<string, EntrySpec>()
  const dirs: string[] = ['']
  const count = Math.floor(random() * maxEntries)
  for (let i = 0; i < count; i++) {
    const parent = pick(dirs)
    if (parent.split('/').length > 3) continue
    const path = parent === '' ? pick(NAMES) : `${parent}/${pick(NAMES)}`
    if (specs.has(path) || [...specs.keys()].some((p) => path.startsWith(p + '/') && specs.get(p)!.type !== 'dir')) continue
    const roll = random()
    if (roll < 0.3) {
      specs.set(path, {path, type: 'dir', mode: pick([0o755, 0o700]), mtimeMs: pick(TIMES)})
      dirs.push(path)
    } else if (roll < 0.85) {
      specs.set(path, {path, type: 'file', content: pick(CONTENTS), mode: pick(MODES), mtimeMs: pick(TIMES)})
    } else {
      specs.set(path, {path, type: 'symlink', target: pick(['a', '../x', 'dir/x.txt', '/etc/hostname', 'missing'])})
    }
  }
  return [...specs.values()]
}

/**
 * A replica derived from a source tree the way real replicas drift: entries dropped,
 * contents changed, modes and mtimes changed, files moved under new names, entries
 * replaced by another kind, and extra entries added.
 */
export function mutateTree(random: () => number, source: readonly EntrySpec[]): EntrySpec[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const out: EntrySpec[] = []
  const taken = new Set<string>()
  for (const spec of source) {
    const roll = random()
    if (roll < 0.1) continue // missing in the replica
    if (roll < 0.2 && spec.type === 'file') {
      // moved: the same content under another name at the same level
      const moved = `${spec.path}.old`
      out.push({...spec, path: moved})
      taken.add(moved)
      continue
    }
    if (roll < 0.3 && spec.type === 'file') {
      // Real edits move the mtime; size-mtime comparison relies on that.
      out.push({...spec, content: pick(CONTENTS), mtimeMs: (spec.mtimeMs ?? FIXED_MTIME_MS) + 60_000})
    } else if (roll < 0.4 && spec.type !== 'symlink') {
      out.push({...spec, mode: pick(spec.type === 'dir' ? [0o755, 0o700] : MODES), mtimeMs: pick(TIMES)})
    } else if (roll < 0.45 && spec.type === 'file') {
      out.push({path: spec.path, type: 'symlink', target: 'elsewhere'})
    } else if (roll < 0.5 && spec.type === 'symlink') {
      out.push({path: spec.path, type: 'file', content: 'was a link'})
    } else {
      out.push(spec)
    }
    taken.add(spec.path)
  }
  // Entries under a path that became a non-directory cannot exist; drop them.
  const nonDirs = new Set(out.filter((s) => s.type !== 'dir').map((s) => s.path))
  const kept = out.filter((s) => !s.path.split('/').slice(0, -1).some((_, i, parts) => nonDirs.has(parts.slice(0, i + 1).join('/'))))
  for (const extra of randomTree(random, 6)) {
    const path = `extra-${extra.path}`
    if (!taken.has(path)) kept.push({...extra, path})
  }
  return kept
}
