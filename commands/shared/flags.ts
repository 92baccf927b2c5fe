import {Args, Errors, Flags} from '@oclif/core'

/** SOURCE and REPLICA, shared by plan, apply and watch. */
export const rootArgs = {
  source: Args.string({description: 'directory to mirror from', required: true}),
  replica: Args.string({description: 'directory to mirror into (created if missing)', required: true}),
}

/** Flags common to every command that scans and plans. */
export const syncFlags = {
  compare: Flags.string({
    description: 'how files are judged equal: md5 (size, then content hash) or size-mtime (no hashing)',
    options: ['md5', 'size-mtime'],
    default: 'md5',
  }),
  'modify-window': Flags.custom<number>({
    description: 'mtimes this many seconds apart are equal, as rsync --modify-window (default: the coarser mtime precision of the two roots, e.g. 2 s on FAT)',
    helpValue: 'SECONDS',
    async parse(input) {
      const seconds = Number(input)
      if (input.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 86_400) {
        throw new Errors.CLIError(`expected a number of seconds from 0 to 86400, got ${JSON.stringify(input)}`)
      }
      return seconds
    },
  })(),
  concurrency: Flags.integer({min: 1, description: 'filesystem operations in flight; scanning uses at most N threads, this one included (default: from the core count)'}),
  'log-file': Flags.string({description: 'append timestamped log lines to this file'}),
  'cache-dir': Flags.string({
    description: 'where treesync keeps its hash caches (default: $XDG_CACHE_HOME/treesync or ~/.cache/treesync)',
  }),
  'no-cache': Flags.boolean({description: 'neither read nor write the hash cache (every file is hashed)'}),
  exclude: Flags.string({
    description: 'leave out paths matching GLOB (gitignore syntax, relative to the roots); repeatable',
    multiple: true,
    // One value per --exclude, so `watch SRC REP --exclude '*.tmp' 60 LOG` keeps 60 and LOG.
    multipleNonGreedy: true,
    helpValue: 'GLOB',
  }),
  'exclude-from': Flags.string({description: 'read exclude patterns from FILE (gitignore format)', helpValue: 'FILE'}),
  'max-delete': Flags.integer({min: 0, description: 'refuse a plan that removes more than N entries (delete + rmdir)'}),
  mkpath: Flags.boolean({description: "create REPLICA's missing parent folders too (as rsync --mkpath); without it a missing parent is refused"}),
  'backup-dir': Flags.string({description: 'move files that would be deleted or overwritten into DIR (same relative path; a local replica only)'}),
  'ssh-key': Flags.string({
    description: 'private key for SFTP roots (default: the ssh agent, then IdentityFile from ~/.ssh/config, then ~/.ssh/id_*)',
    helpValue: 'FILE',
  }),
  'known-hosts': Flags.string({description: "known_hosts file to check SFTP servers' host keys against (default: ~/.ssh/known_hosts)", helpValue: 'FILE'}),
  's3-endpoint': Flags.string({
    description: 'endpoint of an S3-compatible store for s3:// roots, addressed path-style (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS S3)',
    helpValue: 'URL',
  }),
}

/** The guard against syncing an empty or unmounted source over a full replica. */
export const allowDeleteAllFlag = {
  // (plan warns, apply refuses, watch skips the cycle)
  'allow-delete-all': Flags.boolean({description: 'allow a plan that deletes every entry of a non-empty replica'}),
}
