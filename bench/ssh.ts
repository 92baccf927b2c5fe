import {spawnSync} from 'node:child_process'

import {startSshServer, type SshServer} from '../test/helpers/sshd-server.js'
import {BenchError, runQuiet} from './measure.js'

/**
 * The bench's own OpenSSH sshd for the SFTP scenarios: the tests' fixture (127.0.0.1 only,
 * a free port, its own host key, one authorised client key and a known_hosts file, all in
 * a temporary directory removed on stop). The "remote" replicas are local directories
 * served by it, so treesync over SFTP and rsync over ssh reach the very same trees. Started
 * once per bench run, only when a selected scenario needs it, and stopped at the end, also
 * after a failure or on SIGINT/SIGTERM.
 */
export class BenchSsh {
  private server: SshServer | undefined
  /** The stop under way, which a signal arriving meanwhile must wait for before the process ends. */
  private stopping: Promise<void> | undefined
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    void this.stop().finally(() => process.kill(process.pid, signal))
  }

  /** Wall time of one `ssh … true` (connection, key exchange, login, a command), in seconds. */
  commandRoundTrip: number | undefined

  async start(log: (line: string) => void): Promise<void> {
    if (this.server) return
    try {
      // A session's shell is run with SHLVL=2 so that bash skips the login's ~/.bashrc, as it
      // does for nested shells: rsync's far side (and any command treesync runs) is started
      // through the login shell, and a .bashrc with version managers costs seconds here
      // (3.4 s for root's pyenv setup on the machine this was written on) that a server's
      // shell would not. SFTP (internal-sftp) runs no shell at all.
      this.server = await startSshServer({setEnv: {SHLVL: '2'}})
    } catch (error) {
      throw new BenchError(`cannot start the bench's sshd: ${(error as Error).message}`)
    }
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
    const started = process.hrtime.bigint()
    await runQuiet(['ssh', ...this.sshOptions(), `${this.server.user}@${this.server.host}`, 'true'])
    this.commandRoundTrip = Number(process.hrtime.bigint() - started) / 1e9
    log(`sshd on 127.0.0.1:${this.server.port} for the SFTP scenarios (login ${this.server.user}); \`ssh … true\` took ${this.commandRoundTrip.toFixed(2)} s`)
  }

  /** Stops sshd and removes its keys; safe to call when not started, or again while stopping (it waits). */
  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    process.removeListener('SIGINT', this.onSignal)
    process.removeListener('SIGTERM', this.onSignal)
    if (server) this.stopping = server.stop()
    await this.stopping
  }

  /** `sftp://user@127.0.0.1:PORT/abs/path` for a local absolute path. */
  url(path: string): string {
    return this.running().url(path)
  }

  /** treesync's flags for this server: its client key and known_hosts file. */
  treesyncFlags(): string[] {
    const server = this.running()
    return ['--ssh-key', server.clientKey, '--known-hosts', server.knownHosts]
  }

  /**
   * rsync's `-e` and destination for a local absolute path reached over ssh: key, port and
   * host key checked as treesync checks them, never a prompt.
   */
  rsyncArgs(path: string): string[] {
    const server = this.running()
    return ['-e', ['ssh', ...this.sshOptions()].join(' '), `${server.user}@${server.host}:${path}/`]
  }

  /** ssh's options for this server (no spaces inside: they are also joined into rsync's `-e`). */
  private sshOptions(): string[] {
    const server = this.running()
    return ['-i', server.clientKey, '-p', String(server.port), '-o', `UserKnownHostsFile=${server.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes']
  }

  private running(): SshServer {
    if (!this.server) throw new BenchError('the SFTP scenarios need the bench\'s sshd, which is not started')
    return this.server
  }
}

/** The report's line on how the SFTP scenarios were run. */
export function describeSsh(ssh: BenchSsh): string {
  const version = spawnSync('ssh', ['-V'], {encoding: 'utf8'}).stderr.trim() || 'unknown'
  const roundTrip = ssh.commandRoundTrip === undefined ? '' : `; one \`ssh … true\` took ${ssh.commandRoundTrip.toFixed(2)} s`
  return (
    `replicas are local directories served by the bench's own OpenSSH sshd on 127.0.0.1 (${version}, ` +
    `SFTP subsystem internal-sftp, ed25519 keys, sessions started with SHLVL=2 so bash skips the login's ~/.bashrc${roundTrip}); ` +
    'treesync reaches them as `sftp://USER@127.0.0.1:PORT/PATH` with `--ssh-key` and `--known-hosts`, ' +
    "rsync with `-e 'ssh -i KEY -p PORT -o UserKnownHostsFile=KH -o StrictHostKeyChecking=yes -o BatchMode=yes'` " +
    '(it runs `rsync --server` on the far side); peak RSS is the client side\'s only (treesync; rsync or ssh), not sshd\'s nor the far rsync\'s'
  )
}
