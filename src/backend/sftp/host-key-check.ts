import {checkHostKey, hostKeyFingerprint, knownHostsName, keyTypeOfBlob, type KnownHostKey} from './known-hosts.js'

/**
 * The decision on a server's host key and, when it is refused, the one line that tells the
 * user why and what to do. Nothing is ever trusted on first use or written to known_hosts.
 */

/** Where the host is and which known_hosts files were consulted, for the messages. */
export interface HostKeyContext {
  /** The host actually connected to (after HostName), as known_hosts names it. */
  hostName: string
  port: number
  /** The host as the user named it, shown too when it is a config alias. */
  alias: string
  /** The known_hosts files read (the first is where the user is told to add the key). */
  knownHostsFiles: readonly string[]
  /** The files as the user knows them (`~/.ssh/known_hosts`), same order. */
  knownHostsShown: readonly string[]
}

/** A host key check for ssh2's hostVerifier: `accepts(blob)`, then `refusal` says why not. */
export interface HostKeyCheck {
  accepts(blob: Buffer): boolean
  /** The one-line refusal of the last key refused (undefined while none was). */
  readonly refusal: string | undefined
}

/** Builds the check for one connection from the known keys loaded beforehand. */
export function hostKeyCheck(keys: readonly KnownHostKey[], context: HostKeyContext): HostKeyCheck {
  let refusal: string | undefined
  return {
    accepts(blob) {
      refusal = refuseHostKey(keys, context, blob)
      return refusal === undefined
    },
    get refusal() {
      return refusal
    },
  }
}

/** Undefined if known_hosts trusts `blob` for the host, else the refusal message. */
export function refuseHostKey(keys: readonly KnownHostKey[], context: HostKeyContext, blob: Buffer): string | undefined {
  const name = knownHostsName(context.hostName.toLowerCase(), context.port)
  const verdict = checkHostKey(keys, name, blob)
  const host = hostShown(context)
  const presented = `${keyTypeOfBlob(blob) ?? 'unknown type'} ${hostKeyFingerprint(blob)}`
  const where = (entry: KnownHostKey): string => `${shownFile(context, entry.file)} line ${entry.line}`
  switch (verdict.kind) {
    case 'trusted':
      return undefined
    case 'revoked':
      return `host key of ${host} is REVOKED (${presented}, @revoked in ${where(verdict.entry)}): refusing to connect`
    case 'changed':
      return `host key of ${host} has CHANGED (now ${presented}, ${where(verdict.entry)} has another): refusing to connect; if the change is expected, check the new fingerprint and replace that line`
    case 'unknown': {
      const file = context.knownHostsShown[0] ?? '~/.ssh/known_hosts'
      // ssh-keyscan trusts whatever answers: the fingerprint is checked before the key is appended.
      const keyscan = `ssh-keyscan ${context.port === 22 ? '' : `-p ${context.port} `}${context.hostName}`
      const otherTypes = verdict.otherTypes.length > 0 ? `; ${where(verdict.otherTypes[0])} has its ${verdict.otherTypes[0].keyType} key, which the server did not offer` : ''
      const certificates = verdict.certAuthorities.length > 0 && verdict.otherTypes.length === 0 ? `; only a @cert-authority line (${where(verdict.certAuthorities[0])}) names it, and treesync does not check host certificates` : ''
      return `host key of ${host} is not known (${presented}${otherTypes}${certificates}): check that fingerprint with the server's owner or console, then add the key to ${file} (${keyscan} | ssh-keygen -lf - must show the same; then ${keyscan} >> ${file}) or pass --known-hosts FILE`
    }
  }
}

function hostShown(context: HostKeyContext): string {
  const address = `${context.hostName}:${context.port}`
  return context.alias === context.hostName ? address : `${context.alias} (${address})`
}

function shownFile(context: HostKeyContext, file: string): string {
  const index = context.knownHostsFiles.indexOf(file)
  return index >= 0 ? (context.knownHostsShown[index] ?? file) : file
}
