import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

// ssh2 is CommonJS: Node's ESM loader sees its classes as named exports, but not `utils`.
import ssh2, {type AnyAuthMethod, type AuthHandlerMiddleware, type ParsedKey} from 'ssh2'

import {TreesyncError} from '../../errors.js'

/**
 * Which credentials to offer, in OpenSSH's spirit: the `--ssh-key` file first, then the agent,
 * then the config's IdentityFiles, then the default keys of ~/.ssh. All go through one
 * connection (ssh2's authHandler), so a server that refuses the first key gets the next.
 * There is no prompt: a key with a passphrase is skipped with a note (the agent can hold it).
 */

/** One credential to try. */
export type SshCredential =
  | {readonly kind: 'key'; readonly file: string; readonly key: ParsedKey; readonly description: string}
  | {readonly kind: 'agent'; readonly socket: string; readonly description: string}

/** The credentials to try, in order, and why some were left out (for the failure message). */
export interface AuthPlan {
  readonly credentials: readonly SshCredential[]
  /** e.g. `~/.ssh/id_rsa has a passphrase (add it to the agent: ssh-add ~/.ssh/id_rsa)`. */
  readonly notes: readonly string[]
}

/** Where credentials may come from. */
export interface AuthSources {
  /** `--ssh-key`: must exist and be a private key, else an error before connecting. */
  sshKey?: string
  /** The agent's socket (SSH_AUTH_SOCK), or undefined for none. */
  agentSocket?: string
  /** IdentityFile entries of ~/.ssh/config (missing ones are ignored, as OpenSSH does). */
  identityFiles: readonly string[]
  /** `IdentitiesOnly yes`: no agent, no default keys. */
  identitiesOnly?: boolean
  /** The home whose ~/.ssh holds the default keys. */
  home: string
  /** `user@host:port`, for messages. */
  label: string
}

/** The default identities OpenSSH tries, in its order (DSA is gone from OpenSSH). */
export const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const

/** Reads the keys and decides what to try. Throws ROOT_UNREACHABLE only for a bad `--ssh-key`. */
export async function planAuthentication(sources: AuthSources): Promise<AuthPlan> {
  const credentials: SshCredential[] = []
  const notes: string[] = []
  const seen = new Set<string>()
  const show = (file: string): string => tildePath(file, sources.home)
  const addKeyFile = async (file: string, explicit: boolean): Promise<void> => {
    if (seen.has(file)) return
    seen.add(file)
    const loaded = await loadPrivateKey(file)
    if (loaded.kind === 'key') {
      credentials.push({kind: 'key', file, key: loaded.key, description: explicit ? `the key ${show(file)}` : show(file)})
    } else if (loaded.kind === 'encrypted') {
      notes.push(`${show(file)} has a passphrase, which treesync cannot ask for (add it to the agent: ssh-add ${show(file)})`)
    } else if (explicit) {
      const why = loaded.kind === 'missing' ? 'no such file' : loaded.kind === 'unreadable' ? loaded.reason : 'not a private key'
      throw new TreesyncError('ROOT_UNREACHABLE', `--ssh-key ${file}: ${why} (for ${sources.label})`, sources.label)
    } else if (loaded.kind !== 'missing') {
      notes.push(`${show(file)} is ${loaded.kind === 'unreadable' ? `unreadable (${loaded.reason})` : 'not a private key'}`)
    }
  }
  if (sources.sshKey !== undefined) await addKeyFile(sources.sshKey, true)
  if (sources.agentSocket && !sources.identitiesOnly) credentials.push({kind: 'agent', socket: sources.agentSocket, description: 'the ssh agent'})
  for (const file of sources.identityFiles) await addKeyFile(file, false)
  if (!sources.identitiesOnly) for (const name of DEFAULT_KEY_NAMES) await addKeyFile(join(sources.home, '.ssh', name), false)
  return {credentials, notes}
}

type LoadedKey =
  | {kind: 'key'; key: ParsedKey}
  | {kind: 'encrypted'}
  | {kind: 'missing'}
  | {kind: 'unreadable'; reason: string}
  | {kind: 'not-a-key'}

async function loadPrivateKey(file: string): Promise<LoadedKey> {
  let data: Buffer
  try {
    data = await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return {kind: 'missing'}
    return {kind: 'unreadable', reason: code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code)}
  }
  const parsed = ssh2.utils.parseKey(data)
  if (parsed instanceof Error) {
    // ssh2 says "Encrypted … key detected, but no passphrase given" for both OpenSSH and PEM keys.
    return /encrypted|passphrase/i.test(parsed.message) ? {kind: 'encrypted'} : {kind: 'not-a-key'}
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  return key !== undefined && key.isPrivateKey() ? {kind: 'key', key} : {kind: 'not-a-key'}
}

/**
 * An ssh2 authHandler offering the plan's credentials one after another to `user`; `tried`
 * receives each one's description as it is offered. It stops once the server no longer
 * accepts public keys, and reports that through `serverMethods`.
 */
export function authHandlerFor(plan: AuthPlan, user: string, progress: {tried: string[]; serverMethods?: string[]}): AuthHandlerMiddleware {
  let next = 0
  return (methodsLeft, _partialSuccess, callback) => {
    if (methodsLeft) progress.serverMethods = methodsLeft
    const credential = plan.credentials[next++]
    if (credential === undefined || (methodsLeft && !methodsLeft.includes('publickey'))) return callback(false as unknown as AnyAuthMethod)
    progress.tried.push(credential.description)
    if (credential.kind === 'agent') return callback({type: 'agent', username: user, agent: credential.socket})
    return callback({type: 'publickey', username: user, key: credential.key})
  }
}

/**
 * `authentication failed for user@host:port (tried: …)`, with the plan's notes and what the
 * server would accept instead when it is not public keys.
 */
export function describeAuthFailure(label: string, plan: AuthPlan, progress: {tried: readonly string[]; serverMethods?: readonly string[]}, agentNote?: string): string {
  const tried = progress.tried.length > 0 ? `tried: ${progress.tried.join(', ')}` : `no usable key: looked for --ssh-key, the ssh agent (SSH_AUTH_SOCK), IdentityFile in ~/.ssh/config, ~/.ssh/${DEFAULT_KEY_NAMES.join(', ')}`
  const extra = [...plan.notes, ...(agentNote ? [agentNote] : [])]
  const accepts = progress.serverMethods && !progress.serverMethods.includes('publickey') ? `; the server accepts only ${progress.serverMethods.join(', ')}, not keys` : ''
  return `authentication failed for ${label} (${tried})${extra.length > 0 ? `; ${extra.join('; ')}` : ''}${accepts}`
}

/** A path under the home shown as `~/…`, which is how users know their keys. */
export function tildePath(file: string, home: string): string {
  const prefix = home.endsWith('/') ? home : `${home}/`
  return file.startsWith(prefix) ? `~/${file.slice(prefix.length)}` : file
}
