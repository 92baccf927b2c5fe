import {spawnSync} from 'node:child_process'
import {accessSync, constants} from 'node:fs'

import {BenchError, GNU_TIME} from './measure.js'

/** What the selected scenarios need beyond rsync, GNU time and treesync's build. */
export interface Needs {
  /** SFTP scenarios: OpenSSH's sshd, ssh and ssh-keygen (the bench runs its own sshd on 127.0.0.1). */
  ssh: boolean
  /** S3 scenarios: rclone, and Ceph's radosgw, mon and OSD (the bench runs its own cluster on 127.0.0.1). */
  s3: boolean
}

/**
 * Stops with a one-line hint when a tool the bench needs is missing. The bench installs
 * nothing itself: what runs on a machine is the person's choice.
 */
export function checkRequirements(bin: string, needs: Needs): void {
  if (!runs('rsync', ['--version'])) throw new BenchError('rsync is not installed; install it with: apt-get install -y rsync')
  try {
    accessSync(GNU_TIME, constants.X_OK)
  } catch {
    throw new BenchError(`GNU time (${GNU_TIME}) is not installed; install it with: apt-get install -y time`)
  }
  try {
    accessSync(bin, constants.R_OK)
  } catch {
    throw new BenchError(`treesync's ${bin} is missing; build it with: npm ci && npm run build`)
  }
  if (needs.ssh) {
    try {
      accessSync(SSHD, constants.X_OK)
    } catch {
      throw new BenchError(`the SFTP scenarios need OpenSSH's server (${SSHD}); install it with: apt-get install -y openssh-server`)
    }
    // `ssh -V` exits 0; ssh-keygen without a valid option exits 1, so only a failure to start counts.
    if (!runs('ssh', ['-V']) || spawnSync('ssh-keygen', ['-?'], {stdio: 'ignore'}).error) {
      throw new BenchError('the SFTP scenarios need the OpenSSH client (ssh, ssh-keygen); install it with: apt-get install -y openssh-client')
    }
  }
  if (needs.s3) {
    if (!runs('rclone', ['version'])) throw new BenchError('the S3 scenarios compare against rclone, which is not installed; install it with: apt-get install -y rclone')
    // The radosgw fixture names what is missing of Ceph when it starts.
  }
}

/** Where the tests' sshd fixture, which the bench uses, expects sshd. */
const SSHD = '/usr/sbin/sshd'

function runs(program: string, args: string[]): boolean {
  const result = spawnSync(program, args, {stdio: 'ignore'})
  return !result.error && result.status === 0
}
