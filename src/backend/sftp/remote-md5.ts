import type {ClientChannel} from 'ssh2'

import type {SshSession} from './ssh-session.js'

/** MD5 of the empty file, what `md5sum /dev/null` prints when exec works. */
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'

/** How long the probe may take to answer before exec is taken not to work (a server that hangs it). */
const PROBE_TIMEOUT_MS = 10_000

/**
 * Commands at once per session. OpenSSH allows 10 channels per connection by default
 * (`MaxSessions`), and the SFTP channel is one of them; those left are shared with any
 * other user of the session.
 */
const COMMANDS_AT_ONCE = 4

/** A string as one word for a POSIX shell: single-quoted, each `'` closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/**
 * `md5sum` run on the server over SSH exec, as rclone's SFTP backend does: a file's MD5
 * without sending its bytes. Whether the login may run commands is probed once per
 * session (`md5sum /dev/null` must print the empty MD5): an SFTP-only login
 * (`ForceCommand internal-sftp`, a chroot without md5sum) answers otherwise, and then
 * every hash is made by reading. Runs only on paths the caller has checked are contained:
 * the shell follows symlinks anywhere in them.
 */
export class RemoteMd5 {
  private static readonly ofSession = new WeakMap<SshSession, RemoteMd5>()

  /** The one `RemoteMd5` of a session, so the probe runs once per session however many backends share it. */
  static forSession(session: SshSession): RemoteMd5 {
    let md5 = RemoteMd5.ofSession.get(session)
    if (!md5) RemoteMd5.ofSession.set(session, (md5 = new RemoteMd5(session)))
    return md5
  }

  /** How long the probe took (ms): what starting one command costs on this server, shell start-up included. */
  commandCostMs = Number.POSITIVE_INFINITY
  private probe: Promise<boolean> | undefined
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly session: SshSession) {}

  /** Whether `md5sum` can be run on this server (probed on first use). */
  available(): Promise<boolean> {
    const started = performance.now()
    this.probe ??= this.md5sum('/dev/null', PROBE_TIMEOUT_MS).then(
      (md5) => {
        this.commandCostMs = performance.now() - started
        return md5 === EMPTY_MD5
      },
      () => false,
    )
    return this.probe
  }

  /** The hex MD5 of an absolute remote path, or undefined when the command could not give one (the caller reads instead). */
  async md5Of(remotePath: string): Promise<string | undefined> {
    if (!(await this.available())) return undefined
    return this.md5sum(remotePath).catch(() => undefined)
  }

  private async md5sum(remotePath: string, timeoutMs?: number): Promise<string | undefined> {
    await this.slot()
    try {
      const output = await this.run(`md5sum -- ${shellQuote(remotePath)}`, timeoutMs)
      // md5sum prefixes a `\` when it escapes the name that follows: the hash comes first either way.
      return /^\\?([0-9a-f]{32}) /.exec(output)?.[1]
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }

  private async slot(): Promise<void> {
    while (this.running >= COMMANDS_AT_ONCE) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.running++
  }

  /**
   * Runs a command and gives its standard output if it exits 0 (within `timeoutMs` when
   * given: the probe's; a large file's md5sum may take long, and a dead connection closes
   * the channel anyway).
   */
  private run(command: string, timeoutMs?: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.session.client.exec(command, (error, channel: ClientChannel) => {
        if (error) return reject(error)
        let output = ''
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                channel.close()
                reject(new Error(`no answer from ${command} within ${timeoutMs} ms`))
              }, timeoutMs)
        channel.on('data', (data: Buffer) => (output += data.toString('utf8')))
        channel.stderr.resume()
        channel.on('close', (code: number | null) => {
          clearTimeout(timer)
          if (code === 0) resolve(output)
          else reject(new Error(`${command} exited with ${code}`))
        })
        // No input: an SFTP server forced in place of the command then sees EOF and exits.
        channel.end()
      })
    })
  }
}
