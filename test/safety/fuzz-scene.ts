import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {buildTree, FIXED_MTIME_MS, type EntrySpec} from '../helpers/tree-builder.js'
import {snapshotTree, type SnapshotEntry} from '../helpers/tree-snapshot.js'

/**
 * The small scene every fuzz case gets a fresh copy of: a source and a replica that need
 * every kind of operation, and beside them a sentinel folder that nothing may touch. The
 * replica holds `link`, a symlink to the sentinel, where the source has a real directory
 * `link/` (so a valid plan deletes the link, then makes the directory), and `esc`, a
 * symlink to a sentinel file. The sentinel holds a file named like a treesync temporary.
 */

export const SECRET = 'sentinel secret: must never change\n'
export const SENTINEL_INNER = 'a sentinel file with the name of a source file\n'
export const SENTINEL_TEMP_NAME = '.treesync-0123456789abcdef.tmp'
export const OLD_NAME_CONTENT = 'content that moves\n'
export const INNER = 'inner file of the source dir link/\n'

export const SOURCE_SPECS: EntrySpec[] = [
  {path: 'a.txt', type: 'file', content: 'alpha\n'},
  {path: 'b.txt', type: 'file', content: 'new b, longer than before\n'},
  {path: 'same.txt', type: 'file', content: 'same\n', mtimeMs: FIXED_MTIME_MS + 5000},
  {path: 'exec.sh', type: 'file', content: '#!/bin/sh\necho hi\n', mode: 0o755},
  {path: 'moved-here.txt', type: 'file', content: OLD_NAME_CONTENT},
  {path: 'docs/guide.md', type: 'file', content: '# guide\n'},
  {path: 'docs/deep/x.bin', type: 'file', content: Buffer.from([0, 1, 2, 255, 254, 0, 10])},
  {path: 'link/inner.txt', type: 'file', content: INNER},
  {path: 'sym', type: 'symlink', target: 'a.txt'},
  {path: 'uni/caf\u00e9.txt', type: 'file', content: 'nfc\n'},
]

export const REPLICA_SPECS: EntrySpec[] = [
  {path: 'a.txt', type: 'file', content: 'alpha\n'},
  {path: 'b.txt', type: 'file', content: 'old b\n'},
  {path: 'same.txt', type: 'file', content: 'same\n'},
  {path: 'exec.sh', type: 'file', content: '#!/bin/sh\necho hi\n', mode: 0o644},
  {path: 'old-name.txt', type: 'file', content: OLD_NAME_CONTENT},
  {path: 'docs/old.md', type: 'file', content: 'old doc\n'},
  {path: 'gone/f.txt', type: 'file', content: 'gone\n'},
  {path: 'gone/sub/g.txt', type: 'file', content: 'gone too\n'},
  {path: 'link', type: 'symlink', target: '../sentinel'},
  {path: 'esc', type: 'symlink', target: '../sentinel/secret.txt'},
  {path: 'sym', type: 'symlink', target: 'b.txt'},
]

export const SENTINEL_SPECS: EntrySpec[] = [
  {path: 'secret.txt', type: 'file', content: SECRET},
  {path: 'inner.txt', type: 'file', content: SENTINEL_INNER},
  {path: SENTINEL_TEMP_NAME, type: 'file', content: 'not a temporary of this replica\n'},
  {path: 'sub/deep.txt', type: 'file', content: 'deep sentinel\n'},
  {path: 'emptydir', type: 'dir'},
]

/** Absolute paths of one scene. */
export interface Scene {
  root: string
  source: string
  replica: string
  sentinel: string
  /** A regular file beside the trees (a root that is not a directory). */
  file: string
  /** Where a case may write (new replicas, logs, plans, backups). */
  scratch: string
  /** The working directory of the CLI (relative paths land here). */
  cwd: string
  planFile: string
}

export async function buildScene(root: string): Promise<Scene> {
  const scene: Scene = {
    root,
    source: join(root, 'source'),
    replica: join(root, 'replica'),
    sentinel: join(root, 'sentinel'),
    file: join(root, 'file.txt'),
    scratch: join(root, 'scratch'),
    cwd: join(root, 'cwd'),
    planFile: join(root, 'plan.json'),
  }
  await buildTree(scene.source, SOURCE_SPECS)
  await buildTree(scene.replica, REPLICA_SPECS)
  await buildTree(scene.sentinel, SENTINEL_SPECS)
  await writeFile(scene.file, 'a plain file\n')
  await mkdir(scene.scratch)
  await mkdir(scene.cwd)
  return scene
}

/** A plan made for one scene, moved to another (every scene has the same trees and times). */
export function planFor(basePlan: Record<string, any>, scene: Scene): Record<string, any> {
  return {...structuredClone(basePlan), source: scene.source, replica: scene.replica}
}

/**
 * Everything in a scene except the parts a case may change (the replica, the scratch area
 * and the working directory): the source, the sentinel, the file, the plan file.
 */
export async function snapshotOutside(scene: Scene, alsoReplica = false): Promise<SnapshotEntry[]> {
  const mayChange = alsoReplica ? ['scratch', 'cwd'] : ['replica', 'scratch', 'cwd']
  return (await snapshotTree(scene.root)).filter((e) => !mayChange.some((p) => e.path === p || e.path.startsWith(`${p}/`)))
}

/** Short lines naming what differs between two snapshots. */
export function describeChanges(before: readonly SnapshotEntry[], after: readonly SnapshotEntry[]): string[] {
  const was = new Map(before.map((e) => [e.path, e]))
  const now = new Map(after.map((e) => [e.path, e]))
  const out: string[] = []
  for (const [path, e] of was) {
    const n = now.get(path)
    if (!n) out.push(`${path}: removed`)
    else if (JSON.stringify(n) !== JSON.stringify(e)) out.push(`${path}: changed ${JSON.stringify(e)} -> ${JSON.stringify(n)}`)
  }
  for (const path of now.keys()) if (!was.has(path)) out.push(`${path}: appeared`)
  return out
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function inPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}
