import type {SftpRootSpec} from '../root-spec.js'
import type {SshOptions, SshSession, SshTarget} from './ssh-session.js'

/** First wait before connecting again to a host that failed; doubled after each failure. */
const FIRST_BACKOFF_MS = 1000
const MAX_BACKOFF_MS = 60_000

/**
 * The SSH connections of one run, one per host (user, host and port as the root names
 * them), opened when first needed and kept: `plan` and `apply` share one, and `watch`
 * keeps it across cycles. A connection that ended is opened again when next asked for;
 * after a failure to connect, the next attempt waits out a backoff (1 s, doubling to
 * 60 s) and until then the failure is reported again without touching the network, so a
 * watch whose server is down fails each cycle once, quickly, and reconnects when it is back.
 */
export class SshConnections {
  private readonly sessions = new Map<string, Promise<SshSession>>()
  private readonly failures = new Map<string, {error: unknown; retryAt: number; backoffMs: number}>()
  private readonly endedSessions = new WeakSet<SshSession>()

  constructor(
    readonly options: SshOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** The open session for a root's host: the live one, else a new one. */
  async session(spec: Pick<SftpRootSpec, 'host' | 'port' | 'user'>): Promise<SshSession> {
    const target: SshTarget = {host: spec.host, port: spec.port, user: spec.user}
    const key = `${target.user ?? ''}@${target.host}:${target.port ?? ''}`
    // Callers that wait on the same ended session each look again once it settled: the first
    // to get there replaces it, the others then share the replacement (deleting it, or
    // opening their own, would leak a connection `closeAll` never sees).
    for (let open = this.sessions.get(key); open; open = this.sessions.get(key)) {
      const session = await open.catch(() => undefined)
      if (session && !this.endedSessions.has(session)) return session
      if (this.sessions.get(key) === open) this.sessions.delete(key)
    }
    const failure = this.failures.get(key)
    if (failure && this.now() < failure.retryAt) throw failure.error
    const opening = (async () => {
      // Loaded on first use: every command holds a pool, few connect.
      const {openSshSession} = await import('./ssh-session.js')
      return await openSshSession(target, this.options)
    })()
    this.sessions.set(key, opening)
    try {
      const session = await opening
      void session.ended.then(() => this.endedSessions.add(session))
      this.failures.delete(key)
      return session
    } catch (error) {
      if (this.sessions.get(key) === opening) this.sessions.delete(key)
      const backoffMs = failure ? Math.min(failure.backoffMs * 2, MAX_BACKOFF_MS) : FIRST_BACKOFF_MS
      this.failures.set(key, {error, retryAt: this.now() + backoffMs, backoffMs})
      throw error
    }
  }

  /** Ends every connection; the pool may be used again afterwards (it reconnects). */
  async closeAll(): Promise<void> {
    const open = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(open.map(async (opening) => (await opening.catch(() => undefined))?.close()))
  }
}
