import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer, connect} from 'node:net'
import {tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {after, before} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'

/**
 * OpenSSH's sshd on 127.0.0.1, started by the tests (never on another address): its own
 * host key, one authorised client key, the SFTP subsystem in-process (`internal-sftp`).
 * Logs in as the user running the tests (root in CI). Missing `sshd` fails the test with
 * the Debian package to install: never a silent skip.
 */
export interface SshServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** The login the client key is authorised for. */
  readonly user: string
  /** Private key authorised on the server (no passphrase). */
  readonly clientKey: string
  /** A known_hosts file trusting this server's host key (`[127.0.0.1]:PORT ssh-ed25519 …`). */
  readonly knownHosts: string
  /** The host key's public line (`ssh-ed25519 AAAA…`) and its OpenSSH fingerprint (`SHA256:…`). */
  readonly hostKey: {publicLine: string; fingerprint: string}
  /** A scratch directory that goes away with the server (keys, config, other files a test wants). */
  readonly dir: string
  /** `sftp://user@127.0.0.1:PORT` followed by `path` (absolute). */
  url(path: string): string
  /** Logins accepted since the server started (restarts included): how many connections clients opened. */
  logins(): number
  /** Kills sshd at once (SIGKILL): every session ends mid-flight. */
  kill(): Promise<void>
  /** Starts sshd again on the same port with the same keys (after `kill`). */
  restart(): Promise<void>
  /** The pids serving the open connections (the listener's descendants: per-connection sshd, an external sftp-server). */
  connectionPids(): Promise<number[]>
  /**
   * Stops (SIGSTOP) every process serving an open connection: a server that vanished
   * without a word (off the network, asleep). The listener still accepts new connections.
   * `thaw` resumes them; `kill` and `stop` work on frozen ones too.
   */
  freeze(): Promise<void>
  /** Resumes (SIGCONT) what `freeze` stopped; safe to call without a freeze. */
  thaw(): Promise<void>
  /** Stops sshd and removes its directory; safe to call twice. */
  stop(): Promise<void>
}

/** How the server is set up. */
export interface SshServerOptions {
  /** Variables sshd sets in every session (`SetEnv NAME=VALUE`), over the client's and the default ones. */
  setEnv?: Record<string, string>
  /** Only SFTP for the login (`ForceCommand internal-sftp`): exec requests such as `md5sum` fail. */
  sftpOnly?: boolean
  /** A different host key for a server that "changed" (default: a fresh one). */
  hostKeyFile?: string
  /** More host keys the server offers too (e.g. an ecdsa one, for clients that know the host by it). */
  extraHostKeyFiles?: string[]
  /** No SFTP subsystem at all (a shell-only host): the SFTP channel request is refused. */
  noSftpSubsystem?: boolean
  /** The SFTP subsystem as a separate process (OpenSSH's sftp-server, which a test can kill) instead of `internal-sftp`. */
  externalSftpServer?: boolean
}

/** OpenSSH's sftp-server on Debian (package openssh-sftp-server). */
export const SFTP_SERVER = '/usr/lib/openssh/sftp-server'

const SSHD = '/usr/sbin/sshd'
const run = promisify(execFile)

/** Starts sshd on a free port of 127.0.0.1 and waits until it accepts connections (well under a second). */
export async function startSshServer(options: SshServerOptions = {}): Promise<SshServer> {
  const dir = await mkdtemp(join(tmpdir(), 'treesync-sshd-'))
  try {
    return await startIn(dir, options)
  } catch (error) {
    await rm(dir, {recursive: true, force: true})
    throw error
  }
}

async function startIn(dir: string, options: SshServerOptions): Promise<SshServer> {
  await run(SSHD, ['-V']).catch((error: NodeJS.ErrnoException) => {
    // sshd -V prints its version and exits non-zero on some releases: only a missing binary counts.
    if (error.code === 'ENOENT') throw new Error(`${SSHD} not found: apt-get install -y openssh-server`)
  })
  await mkdir('/run/sshd', {recursive: true}).catch(() => undefined)
  const hostKeyFile = options.hostKeyFile ?? (await generateKey(join(dir, 'host_ed25519')))
  const clientKey = await generateKey(join(dir, 'client_ed25519'))
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`))
  const publicLine = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyFile}.pub`])).stdout.split(/\s+/)[1]
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      ...(options.extraHostKeyFiles ?? []).map((file) => `HostKey ${file}`),
      'PidFile none',
      'UsePAM no',
      'StrictModes no',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      ...(options.noSftpSubsystem ? [] : [`Subsystem sftp ${options.externalSftpServer ? SFTP_SERVER : 'internal-sftp'}`]),
      // INFO: one "Accepted publickey" line per login, which `logins()` counts.
      'LogLevel INFO',
      'MaxStartups 100',
      'MaxSessions 100',
      ...(options.sftpOnly ? ['ForceCommand internal-sftp'] : []),
      ...Object.entries(options.setEnv ?? {}).map(([name, value]) => `SetEnv ${name}=${value}`),
      '',
    ].join('\n'),
  )
  const knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${publicLine}\n`)

  let child: ChildProcess | undefined
  let logins = 0
  const launch = async (): Promise<void> => {
    child = spawn(SSHD, ['-D', '-e', '-f', config, '-p', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString()
      logins += text.match(/^Accepted /gm)?.length ?? 0
      // Only the start-up errors are kept: a long test would otherwise pile up login lines.
      if (stderr.length < 10_000) stderr += text
    })
    await waitForPort(port, child, () => stderr)
  }
  await launch()
  const stopChild = async (): Promise<void> => {
    const c = child
    child = undefined
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    // Each connection's sshd calls setsid() and outlives a killed listener, its sessions still
    // served: kill them too, found (before the listener goes) by their parent pids.
    for (const pid of await descendantsOf(c.pid!)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    c.kill('SIGKILL')
    await exited
  }
  let frozen: number[] = []
  const signalAll = (pids: readonly number[], signal: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, signal)
      } catch {
        // Already gone.
      }
    }
  }
  const thaw = (): void => {
    signalAll(frozen, 'SIGCONT')
    frozen = []
  }
  let stopped = false
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    clientKey,
    knownHosts,
    hostKey: {publicLine, fingerprint},
    dir,
    url: (path) => `sftp://${userInfo().username}@127.0.0.1:${port}${path}`,
    logins: () => logins,
    kill: async () => {
      frozen = []
      await stopChild()
    },
    connectionPids: async () => (child?.pid === undefined ? [] : await descendantsOf(child.pid)),
    freeze: async () => {
      if (child?.pid === undefined) return
      const pids = await descendantsOf(child.pid)
      frozen.push(...pids)
      signalAll(pids, 'SIGSTOP')
    },
    thaw: async () => thaw(),
    restart: async () => {
      await stopChild()
      await launch()
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      thaw()
      await stopChild()
      await rm(dir, {recursive: true, force: true})
    },
  }
}

/** One server for a whole test file: started before its tests, stopped after them. */
export function sshServerForSuite(options: SshServerOptions = {}): () => SshServer {
  let server: SshServer | undefined
  before(async () => {
    server = await startSshServer(options)
  })
  after(async () => {
    await server?.stop()
  })
  return () => {
    if (!server) throw new Error('the sshd fixture is not started (use it inside a test)')
    return server
  }
}

/** An ed25519 key pair without a passphrase; returns the private key's path. */
export async function generateKey(path: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'treesync-test', '-f', path])
  return path
}

/** The pids below `pid` in the process tree (Linux /proc). */
async function descendantsOf(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined)
    if (stat === undefined) continue
    // The fields after the command name, which may itself hold spaces and parentheses: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)])
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr().trim()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await sleep(25)
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 5 s: ${stderr().trim()}`)
}
