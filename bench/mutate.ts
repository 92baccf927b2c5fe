import {readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ContentWriter} from './content.js'
import {dirPaths, fileAt, type FileSpec, type TreeSpec} from './layout.js'
import {Prng} from './prng.js'
import type {TreePaths} from './trees.js'

const PENDING_FILE = 'changed.json'

/**
 * Deterministic "1% of the files changed" rounds on a generated tree. Round r rewrites a
 * seeded choice of files in the source with new content and mtime (same path and size);
 * `restore` writes the generated originals back into the source and every replica, so the
 * copies are exact again. Rounds not yet restored are recorded in the tree's directory,
 * and `restorePending` repairs a tree left changed by an interrupted bench.
 */
export class ChangeRounds {
  private readonly dirs: string[]
  private readonly writer: ContentWriter

  constructor(
    private readonly spec: TreeSpec,
    private readonly paths: TreePaths,
    private readonly fraction = 0.01,
  ) {
    this.dirs = dirPaths(spec)
    this.writer = new ContentWriter(spec.seed)
  }

  /** The files round `round` changes, as rewritten (variant round + 1; variant 0 is the original). */
  changedFiles(round: number): FileSpec[] {
    const count = Math.min(this.spec.files, Math.max(1, Math.round(this.spec.files * this.fraction)))
    const prng = new Prng(this.spec.seed, 0x63686e67, round)
    const chosen = new Set<number>()
    while (chosen.size < count) chosen.add(prng.below(this.spec.files))
    return [...chosen].sort((a, b) => a - b).map((index) => fileAt(this.spec, this.dirs, index, round + 1))
  }

  /** Rewrites this round's files in the source. */
  async change(round: number): Promise<void> {
    await this.setPending([...(await this.pending()), round])
    for (const file of this.changedFiles(round)) this.writer.writeFile(join(this.paths.source, file.path), file)
  }

  /** Writes the originals of this round's files back into the source and all replicas. */
  async restore(round: number): Promise<void> {
    for (const changed of this.changedFiles(round)) {
      const original = fileAt(this.spec, this.dirs, changed.index)
      for (const root of [this.paths.source, ...Object.values(this.paths.replicas)]) this.writer.writeFile(join(root, original.path), original)
    }
    await this.setPending((await this.pending()).filter((pending) => pending !== round))
  }

  /** Restores every round an interrupted bench left changed. */
  async restorePending(): Promise<void> {
    for (const round of await this.pending()) await this.restore(round)
  }

  private async pending(): Promise<number[]> {
    const text = await readFile(join(this.paths.root, PENDING_FILE), 'utf8').catch(() => '[]')
    return JSON.parse(text) as number[]
  }

  private async setPending(rounds: number[]): Promise<void> {
    const file = join(this.paths.root, PENDING_FILE)
    if (rounds.length === 0) await rm(file, {force: true})
    else await writeFile(file, JSON.stringify(rounds))
  }
}
