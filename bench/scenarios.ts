import {mkdir, rename, rm} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {dirPaths, fileAt, type FileSpec, type TreeName, type TreeSpec} from './layout.js'
import {runQuiet, type Command} from './measure.js'
import {ChangeRounds} from './mutate.js'
import type {Scenario, Tool} from './session.js'
import type {BenchS3} from './s3.js'
import type {BenchSsh} from './ssh.js'
import {treePaths} from './trees.js'
import {verifyFiles} from './verify.js'

/** What the scenarios need to know about this bench run. */
export interface BenchContext {
  dataDir: string
  /** treesync's `bin/run.js`. */
  bin: string
  specs: Record<TreeName, TreeSpec>
  /** The bench's sshd, started by run.ts before the first scenario that sets `ssh`. */
  ssh: BenchSsh
  /** The bench's radosgw, started by run.ts before the first scenario that sets `s3`. */
  s3: BenchS3
}

const SAMPLE_FILES = 50

/** The scenarios of issue 5, in the order they run: the huge tree, the longest and most memory-hungry, last. */
export function defineScenarios(ctx: BenchContext): Scenario[] {
  const small = treePaths(ctx.dataDir, 'small')
  const large = treePaths(ctx.dataDir, 'large')
  const huge = treePaths(ctx.dataDir, 'huge')
  const warm = (tree: TreeName): string => join(ctx.dataDir, 'cache', tree)
  const cold = join(ctx.dataDir, 'cache', 'cold')
  // The SFTP replicas' cache files are named after their URL, whose port changes with every
  // bench run: each SFTP scenario starts from an empty cache, warmed by its warm-up round.
  const sftpCache = join(ctx.dataDir, 'cache', 'sftp')
  // The S3 roots' metadata caches are named after their URL, whose bucket is new in every
  // bench run: each S3 scenario starts from an empty cache too.
  const s3Cache = join(ctx.dataDir, 'cache', 's3')
  const smallTs = small.replicas['replica-ts']
  const smallRef = small.replicas['replica-ref']
  const rounds = new ChangeRounds(ctx.specs.small, small)
  const smallTrash = join(small.root, 'trash')
  const changed = (replica: string, label: string) => async (round: number, completed: boolean) => {
    if (completed) await verifyFiles(replica, rounds.changedFiles(round), label)
  }

  return [
    {
      id: 'small-plan-warm',
      title: 'small no-change plan, cache warm',
      tree: 'small',
      target: {text: '≤ 1.0 × rsync', maxRatio: 1},
      treesync: tool('treesync plan', plan(ctx, small.source, smallTs, warm('small'))),
      references: [tool('rsync -an --delete', rsync('-an --delete', small.source, smallRef), '0.47 s')],
    },
    {
      id: 'small-apply-1pct',
      title: 'small apply after 1% changed, cache warm',
      tree: 'small',
      target: {text: '≤ 1.0 × rsync', maxRatio: 1},
      treesync: tool('treesync apply', apply(ctx, small.source, smallTs, warm('small')), undefined, {after: changed(smallTs, 'treesync apply')}),
      references: [tool('rsync -a --delete', rsync('-a --delete', small.source, smallRef), '0.55 s', {after: changed(smallRef, 'rsync')})],
      beforeRound: (round) => rounds.change(round),
      afterRound: (round) => rounds.restore(round),
    },
    {
      id: 'small-apply-initial',
      title: 'small initial apply into an empty replica',
      tree: 'small',
      initial: true,
      target: {text: '≤ 1.0 × rsync', maxRatio: 1},
      treesync: intoScratch('treesync apply', ctx.specs.small, join(small.root, 'scratch-ts'), (dst) => apply(ctx, small.source, dst, warm('small')), undefined, smallTrash),
      references: [intoScratch('rsync -a --delete', ctx.specs.small, join(small.root, 'scratch-ref'), (dst) => rsync('-a --delete', small.source, dst), '~20 s', smallTrash)],
      finish: () => removeTree(smallTrash),
    },
    {
      id: 'small-plan-cold',
      title: 'small no-change plan, cache cold',
      tree: 'small',
      target: {text: '≤ 0.7 × rsync', maxRatio: 0.7},
      treesync: tool('treesync plan', plan(ctx, small.source, smallTs, cold), undefined, freshDir(cold)),
      references: [tool('rsync -an --delete --checksum --checksum-choice=md5', rsync('-an --delete --checksum --checksum-choice=md5', small.source, smallRef), '3.2 s')],
    },
    {
      id: 'large-apply-initial',
      title: 'large initial apply',
      tree: 'large',
      initial: true,
      target: {text: '≤ 1.2 × cp', maxRatio: 1.2},
      treesync: intoScratch('treesync apply', ctx.specs.large, join(large.root, 'scratch-ts'), (dst) => apply(ctx, large.source, dst, warm('large'))),
      references: [
        intoScratch('cp -a', ctx.specs.large, join(large.root, 'scratch-cp'), (dst) => ({argv: ['cp', '-a', large.source, dst]}), '1.3 s'),
        intoScratch('rsync -a --delete', ctx.specs.large, join(large.root, 'scratch-rsync'), (dst) => rsync('-a --delete', large.source, dst), '6.8 s'),
      ],
    },
    {
      id: 'large-plan-cold',
      title: 'large no-change plan, cache cold',
      tree: 'large',
      target: {text: '≤ 0.6 × rsync', maxRatio: 0.6},
      treesync: tool('treesync plan', plan(ctx, large.source, large.replicas.replica, cold), undefined, freshDir(cold)),
      references: [tool('rsync -an --delete --checksum --checksum-choice=md5', rsync('-an --delete --checksum --checksum-choice=md5', large.source, large.replicas.replica), '10.6 s')],
    },
    {
      id: 'small-plan-rss',
      title: 'small no-change plan, peak RSS',
      tree: 'small',
      target: {text: 'RSS ≤ 120 MiB', maxRssMiB: 120},
      treesync: tool('treesync plan', plan(ctx, small.source, smallTs, warm('small'))),
      references: [tool('rsync -an --delete', rsync('-an --delete', small.source, smallRef), '7 MiB')],
    },
    // Over SFTP: the replica is a local directory served by the bench's own sshd on
    // 127.0.0.1, reached by treesync as sftp://…, by rsync through ssh (`-e ssh`). treesync
    // fsyncs each uploaded file on the server (fsync@openssh.com) before renaming it into
    // place; rsync does not unless `--fsync`, hence that second reference for the copies.
    {
      id: 'sftp-small-initial',
      title: 'small initial apply into an empty SFTP replica',
      tree: 'small',
      initial: true,
      ssh: true,
      target: {text: '≤ 1.5 × rsync over ssh', maxRatio: 1.5},
      treesync: intoScratch('treesync apply (SFTP)', ctx.specs.small, join(small.root, 'sftp-scratch-ts'), (dst) => overSftp(ctx, apply(ctx, small.source, ctx.ssh.url(dst), sftpCache)), undefined, smallTrash),
      references: [
        intoScratch('rsync -a --delete -e ssh', ctx.specs.small, join(small.root, 'sftp-scratch-ref'), (dst) => rsyncSsh(ctx, '-a --delete', small.source, dst), undefined, smallTrash),
        intoScratch('rsync -a --delete --fsync -e ssh', ctx.specs.small, join(small.root, 'sftp-scratch-fsync'), (dst) => rsyncSsh(ctx, '-a --delete --fsync', small.source, dst), undefined, smallTrash),
      ],
      beforeRound: clearBeforeWarmUp(sftpCache),
      finish: () => removeTree(smallTrash),
    },
    {
      id: 'sftp-small-plan-warm',
      title: 'small no-change plan into an SFTP replica, cache warm',
      tree: 'small',
      ssh: true,
      target: {text: '≤ 1.5 × rsync over ssh', maxRatio: 1.5},
      treesync: tool('treesync plan (SFTP)', () => overSftp(ctx, plan(ctx, small.source, ctx.ssh.url(smallTs), sftpCache))),
      references: [tool('rsync -an --delete -e ssh', () => rsyncSsh(ctx, '-an --delete', small.source, smallRef))],
      beforeRound: clearBeforeWarmUp(sftpCache),
    },
    {
      id: 'sftp-large-initial',
      title: 'large initial apply into an empty SFTP replica',
      tree: 'large',
      initial: true,
      ssh: true,
      target: {text: '≤ 1.5 × rsync over ssh', maxRatio: 1.5},
      treesync: intoScratch('treesync apply (SFTP)', ctx.specs.large, join(large.root, 'sftp-scratch-ts'), (dst) => overSftp(ctx, apply(ctx, large.source, ctx.ssh.url(dst), sftpCache))),
      references: [
        intoScratch('rsync -a --delete -e ssh', ctx.specs.large, join(large.root, 'sftp-scratch-ref'), (dst) => rsyncSsh(ctx, '-a --delete', large.source, dst)),
        intoScratch('rsync -a --delete --fsync -e ssh', ctx.specs.large, join(large.root, 'sftp-scratch-fsync'), (dst) => rsyncSsh(ctx, '-a --delete --fsync', large.source, dst)),
      ],
      beforeRound: clearBeforeWarmUp(sftpCache),
    },
    // Over S3: one bucket on the bench's radosgw on 127.0.0.1, treesync and rclone each under
    // their own prefixes; the ops log counts every request of each timed run.
    {
      id: 's3-small-initial',
      title: 'small initial upload into an empty S3 prefix',
      tree: 'small',
      initial: true,
      s3: true,
      counter: ctx.s3,
      target: {text: '≤ 1.0 × rclone sync', maxRatio: 1},
      treesync: intoPrefix(ctx, 'treesync apply (S3)', ctx.specs.small, 'small-scratch-ts', (prefix) => ctx.s3.treesync(apply(ctx, small.source, ctx.s3.url(prefix), s3Cache))),
      references: [
        intoPrefix(ctx, 'rclone sync', ctx.specs.small, 'small-scratch-ref', (prefix) => ctx.s3.rclone(['sync', small.source, ctx.s3.remote(prefix)])),
        intoPrefix(ctx, 'rclone sync --transfers 16', ctx.specs.small, 'small-scratch-ref16', (prefix) => ctx.s3.rclone(['sync', '--transfers', '16', small.source, ctx.s3.remote(prefix)])),
      ],
      beforeRound: clearBeforeWarmUp(s3Cache),
    },
    {
      id: 's3-small-plan-warm',
      title: 'small no-change plan against an up-to-date S3 prefix, cache warm',
      tree: 'small',
      s3: true,
      counter: ctx.s3,
      target: {text: '≤ 1.0 × rclone sync --dry-run, no HEAD', maxRatio: 1, maxRequests: {HEAD: 0}},
      treesync: tool('treesync plan (S3)', () => ctx.s3.treesync(plan(ctx, small.source, ctx.s3.url('small-ts'), s3Cache))),
      references: [
        tool('rclone sync --dry-run', () => ctx.s3.rclone(['sync', '--dry-run', small.source, ctx.s3.remote('small-ref')])),
        tool('rclone sync --dry-run --size-only', () => ctx.s3.rclone(['sync', '--dry-run', '--size-only', small.source, ctx.s3.remote('small-ref')])),
      ],
      // Each tool's replica is its own upload, made before the warm-up (untimed): the
      // warm-up's plan then fills treesync's metadata cache, as a previous plan would.
      beforeRound: async (round) => {
        if (round !== 0) return
        await clearBeforeWarmUp(s3Cache)(round)
        for (const command of [
          ctx.s3.treesync(apply(ctx, small.source, ctx.s3.url('small-ts'), s3Cache)),
          ctx.s3.rclone(['sync', small.source, ctx.s3.remote('small-ref')]),
        ]) {
          await runQuiet(command.argv, command.env)
        }
      },
    },
    {
      id: 's3-large-initial',
      title: 'large initial upload into an empty S3 prefix',
      tree: 'large',
      initial: true,
      s3: true,
      counter: ctx.s3,
      target: {text: '≤ 1.0 × rclone sync', maxRatio: 1},
      treesync: intoPrefix(ctx, 'treesync apply (S3)', ctx.specs.large, 'large-scratch-ts', (prefix) => ctx.s3.treesync(apply(ctx, large.source, ctx.s3.url(prefix), s3Cache))),
      references: [intoPrefix(ctx, 'rclone sync', ctx.specs.large, 'large-scratch-ref', (prefix) => ctx.s3.rclone(['sync', large.source, ctx.s3.remote(prefix)]))],
      beforeRound: clearBeforeWarmUp(s3Cache),
    },
    {
      id: 'huge-plan-warm',
      title: 'huge no-change plan, cache warm',
      tree: 'huge',
      target: {text: '≤ 1.0 × rsync, RSS ≤ 400 MiB', maxRatio: 1, maxRssMiB: 400},
      treesync: tool('treesync plan', plan(ctx, huge.source, huge.replicas.replica, warm('huge'))),
      references: [tool('rsync -an --delete', rsync('-an --delete', huge.source, huge.replicas.replica), '5.6 s')],
    },
  ]
}

/** `--detailed-exitcode`: a no-change scenario whose plan has changes is a broken setup, not a result. */
function plan(ctx: BenchContext, source: string, replica: string, cacheDir: string): Command {
  return {argv: [process.execPath, ctx.bin, 'plan', source, replica, '--cache-dir', cacheDir, '--detailed-exitcode']}
}

function apply(ctx: BenchContext, source: string, replica: string, cacheDir: string): Command {
  return {argv: [process.execPath, ctx.bin, 'apply', source, replica, '--cache-dir', cacheDir, '--auto-approve']}
}

function rsync(flags: string, source: string, replica: string): Command {
  return {argv: ['rsync', ...flags.split(' '), `${source}/`, `${replica}/`]}
}

/** A treesync command with the bench sshd's key and known_hosts file. */
function overSftp(ctx: BenchContext, command: Command): Command {
  return {...command, argv: [...command.argv, ...ctx.ssh.treesyncFlags()]}
}

/** rsync from a local source into `replica` (a local path) through ssh to the bench's sshd. */
function rsyncSsh(ctx: BenchContext, flags: string, source: string, replica: string): Command {
  return {argv: ['rsync', ...flags.split(' '), `${source}/`, ...ctx.ssh.rsyncArgs(replica)]}
}

/** Empties `dir` before a scenario's warm-up round (round 0). */
function clearBeforeWarmUp(dir: string): (round: number) => Promise<void> {
  return async (round) => {
    if (round === 0) await rm(dir, {recursive: true, force: true})
  }
}

interface Hooks {
  before?: () => Promise<void>
  after?: (round: number, completed: boolean) => Promise<void>
}

/** `command` may be a function, for commands known only once the bench runs (the sshd's port and keys). */
function tool(label: string, command: Command | (() => Command), anchor?: string, hooks: Hooks = {}): Tool {
  return {
    label,
    anchor,
    prepare: async () => {
      await hooks.before?.()
      return typeof command === 'function' ? command() : command
    },
    after: hooks.after,
  }
}

/** A cache directory that is empty for every run and removed after it. */
function freshDir(dir: string): Hooks {
  return {
    before: async () => {
      await rm(dir, {recursive: true, force: true})
      await mkdir(dir, {recursive: true})
    },
    after: () => rm(dir, {recursive: true, force: true}),
  }
}

/**
 * A tool copying a whole tree into `dst`, which is absent before each run (and the disk
 * synced, so no run pays for the previous one's writeback) and checked after it. Then it
 * is deleted, or with `trash` moved aside for `removeTree` after the last round: on ext4,
 * creating files just after deleting 100,000 makes every new inode's allocation scan the
 * recently deleted ones (`recently_deleted`, minutes long), which would slow each run
 * after the first several-fold, and unevenly.
 */
function intoScratch(label: string, spec: TreeSpec, dst: string, command: (dst: string) => Command, anchor?: string, trash?: string): Tool {
  return tool(label, () => command(dst), anchor, {
    before: async () => {
      await removeTree(dst)
    },
    after: async (round, completed) => {
      if (completed) await verifyFiles(dst, sampleFiles(spec), label)
      if (!trash) return removeTree(dst)
      await mkdir(trash, {recursive: true})
      await rename(dst, join(trash, `${basename(dst)}-${round}`)).catch(() => removeTree(dst))
    },
  })
}

/**
 * A tool uploading a whole tree into an S3 prefix, which is empty before each run (new
 * bucket per bench run; emptied after each run) and checked after it (50 sample objects'
 * size and mtime metadata, by HEAD, outside the counted requests), then emptied again.
 */
function intoPrefix(ctx: BenchContext, label: string, spec: TreeSpec, prefix: string, command: (prefix: string) => Command): Tool {
  return tool(label, () => command(prefix), undefined, {
    after: async (_round, completed) => {
      if (completed) await ctx.s3.verify(prefix, sampleFiles(spec), label)
      await ctx.s3.purge(prefix)
    },
  })
}

/** Deletes a tree (`rm -rf` is much faster than Node's recursive rm) and flushes the disk. */
async function removeTree(dir: string): Promise<void> {
  await runQuiet(['rm', '-rf', dir])
  await runQuiet(['sync'])
}

/** Files spread evenly over the tree, to check that a copy happened. */
function sampleFiles(spec: TreeSpec): FileSpec[] {
  const dirs = dirPaths(spec)
  const step = Math.max(1, Math.floor(spec.files / SAMPLE_FILES))
  const files: FileSpec[] = []
  for (let index = 0; index < spec.files; index += step) files.push(fileAt(spec, dirs, index))
  return files
}
