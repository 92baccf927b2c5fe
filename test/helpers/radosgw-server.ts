import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {randomBytes, randomUUID} from 'node:crypto'
import {closeSync, openSync, readFileSync} from 'node:fs'
import {access, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, unlink, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {after, before} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {s3Request, type S3Credentials, type S3RequestOptions, type S3Response} from './s3-request.js'

/**
 * Ceph's RADOS Gateway (S3) on 127.0.0.1, started by the tests (never on another address):
 * a single-node cluster of child processes in a temporary directory, no disks, no systemd.
 * One `ceph-mon` (cephx keys from `ceph-authtool`, a `monmaptool` map), one `ceph-osd` on
 * `memstore` (objects in RAM, pools of size 1), one `radosgw` with the beast frontend on a
 * free port, and one S3 user with a fixed access/secret key (`radosgw-admin user create`).
 * Missing binaries fail with the Debian packages to install: never a silent skip.
 *
 * It takes ~5 s to start (more on a busy machine) and ~140 MB of RAM, so test files share one cluster per test run
 * (`sharedRadosgw`, `radosgwForSuite`); `startRadosgw` starts a private one.
 */
export interface RadosgwServer extends S3Credentials {
  /** `http://127.0.0.1:PORT`: path-style addressing (`/bucket/key`), no virtual hosts. */
  readonly endpoint: string
  readonly port: number
  readonly accessKey: string
  readonly secretKey: string
  /** What requests are signed for; radosgw accepts any region in the signature (its zonegroup is `default`). */
  readonly region: string
  /** The cluster's directory (config, keyrings, logs in `log/`); `ceph -c DIR/ceph.conf …` administers it. */
  readonly dir: string
  /** A new, empty bucket named `PREFIX-…` (unique, so tests sharing the cluster never meet); returns its name. */
  createBucket(prefix?: string): Promise<string>
  /** One signed request as the fixture's user (see `s3Request`). */
  request(options: S3RequestOptions): Promise<S3Response>
  /**
   * A private cluster: kills its processes and removes its directory; safe to call twice.
   * The shared cluster: does nothing (it is the whole run's, see `sharedRadosgw`).
   */
  stop(): Promise<void>
}

export const RADOSGW_ACCESS_KEY = 'TREESYNCTESTACCESSKEY'
export const RADOSGW_SECRET_KEY = 'treesync-test-secret-key-0123456789abcdef'
export const RADOSGW_REGION = 'us-east-1'
const USER = 'treesync'

/** The programs run, with the Debian package each comes from. */
const PROGRAMS = {
  'ceph-mon': 'ceph-mon',
  'ceph-osd': 'ceph-osd',
  radosgw: 'radosgw',
  'radosgw-admin': 'ceph-common',
  ceph: 'ceph-common',
  'ceph-authtool': 'ceph-common',
  monmaptool: 'ceph-base',
} as const
type Program = keyof typeof PROGRAMS

const run = promisify(execFile)
/** How long a start may take: ~5 s on an idle machine, much more on a busy one. */
const START_TIMEOUT_MS = 180_000

/** What a private cluster may set beyond the fixture's defaults (the bench's, not the tests'). */
export interface RadosgwOptions {
  /** The OSD's memstore ceiling in bytes (2 GiB): objects live in its memory. */
  memstoreBytes?: number
  /** More `[client.rgw]` settings, e.g. `{rgw_enable_ops_log: 'true'}`. */
  rgw?: Record<string, string>
}

/** Starts a private cluster (children of this process) and waits until its S3 user is served. */
export async function startRadosgw(options: RadosgwOptions = {}): Promise<RadosgwServer & {pids(): number[]}> {
  const programs = await findPrograms()
  const dir = await mkdtemp(join(tmpdir(), 'treesync-radosgw-'))
  const children: ChildProcess[] = []
  const stopChildren = async (): Promise<void> => {
    // SIGKILL: the data is thrown away anyway, and memstore would write all of it to disk on a clean exit.
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }),
    )
  }
  try {
    const server = await startIn(dir, programs, children, options)
    let stopped = false
    return {
      ...server,
      pids: () => children.map((child) => child.pid!),
      stop: async () => {
        if (stopped) return
        stopped = true
        await stopChildren()
        await rm(dir, {recursive: true, force: true})
      },
    }
  } catch (error) {
    await stopChildren()
    await rm(dir, {recursive: true, force: true})
    throw error
  }
}

async function startIn(dir: string, programs: Record<Program, string>, children: ChildProcess[], options: RadosgwOptions): Promise<Omit<RadosgwServer, 'stop'>> {
  const [monPort, port] = await freePorts(2)
  const fsid = randomUUID()
  for (const sub of ['mon', 'osd/ceph-0', 'log', 'run', 'rgw', 'crash']) await mkdir(join(dir, sub), {recursive: true})
  const conf = join(dir, 'ceph.conf')
  const keyring = join(dir, 'keyring')
  await writeFile(
    conf,
    [
      '[global]',
      `fsid = ${fsid}`,
      // msgr2 only, on loopback only; the OSD picks its ports in 6800–7568 (the first free ones) on 127.0.0.1.
      `mon_host = v2:127.0.0.1:${monPort}`,
      'public_addr = 127.0.0.1',
      'cluster_addr = 127.0.0.1',
      'ms_bind_msgr1 = false',
      'ms_bind_ipv6 = false',
      'auth_cluster_required = cephx',
      'auth_service_required = cephx',
      'auth_client_required = cephx',
      'auth_allow_insecure_global_id_reclaim = false',
      `keyring = ${keyring}`,
      // Nothing under /var/log/ceph, /var/run/ceph or /var/lib/ceph: everything in the directory.
      `log_file = ${dir}/log/$name.log`,
      `run_dir = ${dir}/run`,
      `admin_socket = ${dir}/run/$name.asok`,
      `pid_file = ${dir}/run/$name.pid`,
      `crash_dir = ${dir}/crash`,
      'log_to_stderr = false',
      'err_to_stderr = true',
      // One OSD: pools of one copy, few placement groups, no warnings or shutdowns about it.
      'osd_pool_default_size = 1',
      'osd_pool_default_min_size = 1',
      'osd_pool_default_pg_num = 8',
      'osd_pool_default_pgp_num = 8',
      'osd_pool_default_pg_autoscale_mode = off',
      'osd_crush_chooseleaf_type = 0',
      'mon_allow_pool_size_one = true',
      'mon_warn_on_pool_no_redundancy = false',
      // The mon would stop on a nearly full disk (5% left by default): the tests' disk is not its concern.
      'mon_data_avail_crit = 0',
      'mon_data_avail_warn = 0',
      '',
      '[mon]',
      `mon_data = ${dir}/mon/$name`,
      'mon_initial_members = a',
      // Each pool radosgw creates waits for a map change: proposed within 50 ms, not 1 s (13 s to start → 4 s).
      'paxos_propose_interval = 0.05',
      'paxos_min_wait = 0.01',
      '',
      '[osd]',
      `osd_data = ${dir}/osd/$cluster-$id`,
      'osd_objectstore = memstore',
      // A ceiling, not an allocation: objects live in the OSD's memory up to 2 GiB.
      `memstore_device_bytes = ${options.memstoreBytes ?? 2147483648}`,
      // ext4-sized object names (the default needs a filesystem with longer names), as rgw expects.
      'osd_max_object_name_len = 460',
      'osd_max_object_namespace_len = 64',
      '',
      '[client.rgw]',
      `rgw_frontends = beast endpoint=127.0.0.1:${port}`,
      `rgw_data = ${dir}/rgw`,
      'rgw_thread_pool_size = 16',
      ...Object.entries(options.rgw ?? {}).map(([name, value]) => `${name} = ${value}`),
      '',
    ].join('\n'),
  )
  const c = ['-c', conf]
  await run(programs['ceph-authtool'], ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *'])
  const caps = {
    'client.admin': ['mon', 'allow *', 'osd', 'allow *', 'mgr', 'allow *', 'mds', 'allow *'],
    'osd.0': ['mon', 'allow profile osd', 'osd', 'allow *'],
    'client.rgw': ['mon', 'allow rw', 'osd', 'allow rwx'],
  }
  for (const [name, list] of Object.entries(caps)) {
    const capArgs = list.flatMap((value, i) => (i % 2 === 0 ? ['--cap', value] : [value]))
    await run(programs['ceph-authtool'], [keyring, '--gen-key', '-n', name, ...capArgs])
  }
  const monmap = join(dir, 'monmap')
  await run(programs.monmaptool, ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, monmap])
  await run(programs['ceph-mon'], [...c, '--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring])
  const daemon = (program: Program, name: string, args: string[]): ChildProcess => {
    // stderr to a file (not a pipe): the daemons outlive the process that started them when shared.
    const fd = openSync(join(dir, 'log', `${name}.stderr`), 'a')
    const child = spawn(programs[program], [...c, '-f', ...args], {stdio: ['ignore', fd, fd]})
    closeSync(fd)
    children.push(child)
    return child
  }
  const mon = daemon('ceph-mon', 'mon.a', ['-i', 'a'])
  const osdUuid = randomUUID()
  const osdId = (await run(programs.ceph, [...c, '--connect-timeout', '60', 'osd', 'new', osdUuid])).stdout.trim()
  if (osdId !== '0') throw new Error(`ceph osd new gave OSD ${JSON.stringify(osdId)}, not 0`)
  await run(programs['ceph-osd'], [...c, '-i', '0', '--mkfs', '--osd-uuid', osdUuid])
  const osd = daemon('ceph-osd', 'osd.0', ['-i', '0'])
  const rgw = daemon('radosgw', 'client.rgw', ['-n', 'client.rgw'])
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + START_TIMEOUT_MS
  // Anonymous GET / answers ListAllMyBuckets (200) once radosgw has set up its pools and serves.
  for (;;) {
    for (const [child, name] of [[mon, 'mon.a'], [osd, 'osd.0'], [rgw, 'client.rgw']] as const) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`radosgw fixture: ${name} exited (${child.exitCode ?? child.signalCode}): ${await logTail(dir, name)}`)
      }
    }
    const status = await fetch(`${endpoint}/`, {signal: AbortSignal.timeout(2000)}).then(
      (response) => response.arrayBuffer().then(() => response.status),
      () => 0,
    )
    if (status === 200) break
    if (Date.now() > deadline) throw new Error(`radosgw fixture: no S3 answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s: ${await logTail(dir, 'client.rgw')}`)
    await sleep(100)
  }
  await run(programs['radosgw-admin'], [
    ...c,
    'user',
    'create',
    `--uid=${USER}`,
    `--display-name=${USER}`,
    `--access-key=${RADOSGW_ACCESS_KEY}`,
    `--secret-key=${RADOSGW_SECRET_KEY}`,
  ])
  const server = serverFor({endpoint, port, dir})
  const check = await server.request({method: 'GET'})
  if (check.status !== 200) throw new Error(`radosgw fixture: the user's signed ListBuckets answered ${check.status}: ${check.text}`)
  return server
}

/** The handle on a running cluster, from what the shared state records too. */
function serverFor({endpoint, port, dir}: {endpoint: string; port: number; dir: string}): Omit<RadosgwServer, 'stop'> {
  const credentials = {endpoint, accessKey: RADOSGW_ACCESS_KEY, secretKey: RADOSGW_SECRET_KEY, region: RADOSGW_REGION}
  const request = (options: S3RequestOptions): Promise<S3Response> => s3Request(credentials, options)
  return {
    ...credentials,
    port,
    dir,
    request,
    createBucket: async (prefix = 'test') => {
      const name = `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`.toLowerCase()
      const response = await request({method: 'PUT', bucket: name})
      if (response.status !== 200) throw new Error(`radosgw fixture: creating bucket ${name} answered ${response.status}: ${response.text}`)
      return name
    },
  }
}

async function findPrograms(): Promise<Record<Program, string>> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'].filter(Boolean)
  const found: Partial<Record<Program, string>> = {}
  const missing: Program[] = []
  for (const program of Object.keys(PROGRAMS) as Program[]) {
    for (const d of dirs) {
      const path = join(d, program)
      if (await access(path).then(() => true, () => false)) {
        found[program] = path
        break
      }
    }
    if (!found[program]) missing.push(program)
  }
  if (missing.length > 0) {
    // The three packages bring ceph-common and ceph-base with them.
    throw new Error(`radosgw fixture: ${missing.join(', ')} not found: apt-get install -y radosgw ceph-mon ceph-osd`)
  }
  return found as Record<Program, string>
}

async function logTail(dir: string, name: string): Promise<string> {
  const parts: string[] = []
  for (const file of [`${name}.stderr`, `${name}.log`]) {
    const text = await readFile(join(dir, 'log', file), 'utf8').catch(() => '')
    if (text.trim()) parts.push(`${file}: ${text.trim().split('\n').slice(-15).join('\n')}`)
  }
  return parts.join('\n') || '(no log)'
}

async function freePorts(count: number): Promise<number[]> {
  // All held open together, so the same port cannot come back twice.
  const servers = await Promise.all(
    Array.from(
      {length: count},
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer()
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((server) => (server.address() as {port: number}).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

/*
 * One cluster for the whole test run. `node --test` runs each file in its own process, so the
 * first file that asks starts a keeper: a detached node process (this module, run with
 * `--radosgw-keeper`) that owns the cluster and records it in STATE_DIR/state.json. Later
 * files (and concurrent ones: a lock file serialises them) read the state and reuse it. Each
 * file leaves a lease, STATE_DIR/leases/PID, where PID is its parent: the `node --test`
 * runner. The keeper checks the leases every second and stops the cluster once no leasing
 * process is alive, i.e. when the run ends however it ends: no change to `npm test` needed.
 * A killed keeper leaves its state behind: the next file finds its pid dead, kills what the
 * state lists (after checking each process still runs from the cluster's directory) and
 * starts afresh. `radosgw-stop.js` stops the cluster by hand.
 */
const STATE_DIR = join(tmpdir(), 'treesync-radosgw-shared-v1')
const STATE_FILE = join(STATE_DIR, 'state.json')
const LOCK_FILE = join(STATE_DIR, 'lock')
const LEASES = join(STATE_DIR, 'leases')
const KEEPER_LOG = join(STATE_DIR, 'keeper.log')
const KEEPER_FLAG = '--radosgw-keeper'

interface SharedState {
  keeperPid: number
  pids: number[]
  dir: string
  endpoint: string
  port: number
  startSeconds: number
}

/** The run's cluster, started by the first caller of the run; see above. */
export async function sharedRadosgw(): Promise<RadosgwServer> {
  await mkdir(LEASES, {recursive: true})
  const leasePid = process.ppid
  const state = await withLock(async () => {
    let current = await readState()
    if (current && !isAlive(current.keeperPid)) {
      await cleanUp(current)
      current = undefined
    }
    current ??= await startKeeper(leasePid)
    await writeFile(join(LEASES, String(leasePid)), '')
    return current
  })
  return {...serverFor(state), stop: async () => undefined}
}

/** The run's cluster for a test file's tests (`sharedRadosgw` before them). */
export function radosgwForSuite(): () => RadosgwServer {
  let server: RadosgwServer | undefined
  before(async () => {
    server = await sharedRadosgw()
  })
  after(async () => {
    await server?.stop()
  })
  return () => {
    if (!server) throw new Error('the radosgw fixture is not started (use it inside a test)')
    return server
  }
}

/** Stops the shared cluster if one runs (the keeper first, then whatever it leaves); says what it did. */
export async function stopSharedRadosgw(): Promise<string> {
  await mkdir(LEASES, {recursive: true})
  return await withLock(async () => {
    const state = await readState()
    if (!state) return 'no shared radosgw cluster'
    if (isAlive(state.keeperPid)) {
      process.kill(state.keeperPid, 'SIGTERM')
      for (let i = 0; i < 100 && isAlive(state.keeperPid); i++) await sleep(100)
    }
    await cleanUp(state)
    return `stopped the shared radosgw cluster on ${state.endpoint} (keeper ${state.keeperPid})`
  })
}

async function startKeeper(leasePid: number): Promise<SharedState> {
  await rm(STATE_FILE, {force: true})
  const fd = openSync(KEEPER_LOG, 'w')
  const env = {...process.env}
  // Not a test file: the runner's marker would make it report to a runner that is not listening.
  delete env.NODE_TEST_CONTEXT
  const keeper = spawn(process.execPath, [fileURLToPath(import.meta.url), KEEPER_FLAG, String(leasePid)], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env,
  })
  closeSync(fd)
  keeper.unref()
  let exited = false
  keeper.once('exit', () => (exited = true))
  const deadline = Date.now() + START_TIMEOUT_MS + 10_000
  for (;;) {
    const state = await readState()
    if (state && state.keeperPid === keeper.pid) return state
    if (exited || Date.now() > deadline) {
      if (!exited) keeper.kill('SIGTERM')
      const log = (await readFile(KEEPER_LOG, 'utf8').catch(() => '')).trim()
      throw new Error(`radosgw fixture: the shared cluster did not start: ${log || '(keeper log empty)'}`)
    }
    await sleep(100)
  }
}

/** The keeper process: starts the cluster, records it, stops it when no lease holder is left. */
async function keeperMain(leasePid: number): Promise<void> {
  let server: Awaited<ReturnType<typeof startRadosgw>>
  const started = Date.now()
  try {
    server = await startRadosgw()
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
  let stopping = false
  const stop = async (why: string): Promise<void> => {
    if (stopping) return
    stopping = true
    process.stderr.write(`keeper: stopping (${why})\n`)
    await server.stop()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  await writeFile(join(LEASES, String(leasePid)), '')
  const state: SharedState = {
    keeperPid: process.pid,
    pids: server.pids(),
    dir: server.dir,
    endpoint: server.endpoint,
    port: server.port,
    startSeconds: (Date.now() - started) / 1000,
  }
  await writeFile(`${STATE_FILE}.tmp`, JSON.stringify(state, null, 2))
  await rename(`${STATE_FILE}.tmp`, STATE_FILE)
  process.stderr.write(`keeper: cluster on ${server.endpoint} in ${state.startSeconds} s\n`)
  for (;;) {
    await sleep(1000)
    if (stopping) return
    if (server.pids().some((pid) => !isAlive(pid))) {
      // A daemon died: forget the state (the next file starts afresh), then stop the rest.
      await withLock(() => rm(STATE_FILE, {force: true}), 5000).catch(() => rm(STATE_FILE, {force: true}))
      return stop('a daemon exited')
    }
    if ((await liveLeases()) > 0) continue
    // No lease holder left: decide under the lock, so a file taking a lease meanwhile is not left with a dead cluster.
    const done = await withLock(async () => {
      if ((await liveLeases()) > 0) return false
      await rm(STATE_FILE, {force: true})
      return true
    }, 0).catch(() => false)
    if (done) return stop('no test run left')
  }
}

/** Lease holders still alive; the files of dead ones removed. */
async function liveLeases(): Promise<number> {
  let live = 0
  for (const name of await readdir(LEASES).catch(() => [])) {
    if (isAlive(Number(name))) live++
    else await rm(join(LEASES, name), {force: true})
  }
  return live
}

/** Kills what a stale state lists, if it still runs from the cluster's directory, and removes its files. */
async function cleanUp(state: SharedState): Promise<void> {
  for (const pid of state.pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(state.dir)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
  }
  await rm(state.dir, {recursive: true, force: true})
  await rm(STATE_FILE, {force: true})
  await rm(LEASES, {recursive: true, force: true})
  await mkdir(LEASES, {recursive: true})
}

async function readState(): Promise<SharedState | undefined> {
  const text = await readFile(STATE_FILE, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as SharedState
  } catch {
    return undefined
  }
}

/** Alive and not a zombie (Linux /proc). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A zombie (exited, not yet reaped by its parent) answers signal 0 too: its state, after the command name, says Z.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/**
 * Runs `action` holding STATE_DIR/lock, a file created exclusively and holding its owner's pid.
 * A lock whose owner is dead (or that stayed empty for 10 s) is stale and broken. `waitMs`: how
 * long to wait for it (0: fail at once if taken).
 */
async function withLock<T>(action: () => Promise<T>, waitMs = START_TIMEOUT_MS + 30_000): Promise<T> {
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number(await readFile(LOCK_FILE, 'utf8').catch(() => ''))
    const age = await stat(LOCK_FILE).then((s) => Date.now() - s.mtimeMs, () => 0)
    if (owner > 0 ? !isAlive(owner) : age > 10_000) {
      await unlink(LOCK_FILE).catch(() => undefined)
      continue
    }
    if (Date.now() >= deadline) throw new Error(`radosgw fixture: ${LOCK_FILE} held by ${owner || 'someone'}`)
    await sleep(100)
  }
  try {
    return await action()
  } finally {
    await unlink(LOCK_FILE).catch(() => undefined)
  }
}

if (process.argv[2] === KEEPER_FLAG && process.argv[1] === fileURLToPath(import.meta.url)) {
  void keeperMain(Number(process.argv[3]))
}
