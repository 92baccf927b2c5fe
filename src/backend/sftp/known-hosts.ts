import {createHash, createHmac, timingSafeEqual} from 'node:crypto'
import {readFile} from 'node:fs/promises'

/**
 * OpenSSH's known_hosts format, read-only: we check a server's key against it and never
 * add to it (trusting a key is the user's decision, made with ssh-keyscan or ssh).
 */

/** One key line of a known_hosts file. */
export interface KnownHostKey {
  /** The file and 1-based line it came from, for messages that let the user fix it. */
  readonly file: string
  readonly line: number
  /** `@revoked` (never accept) or `@cert-authority` (signs host certificates, which we do not check). */
  readonly marker: 'revoked' | 'cert-authority' | undefined
  /** The host field as written: a comma list of patterns, or one hashed name `|1|salt|hmac`. */
  readonly hosts: string
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`…, from the key blob itself (the text's name can lie). */
  readonly keyType: string
  /** The public key as the server sends it (the base64 field decoded). */
  readonly blob: Buffer
}

/** Parses known_hosts text; comments, blank and malformed lines are skipped as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostKey[] {
  const keys: KnownHostKey[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/)
    if (fields[0] === '' || fields[0].startsWith('#')) return
    let marker: KnownHostKey['marker']
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked'
      else if (fields[0] === '@cert-authority') marker = 'cert-authority'
      else return
      fields.shift()
    }
    if (fields.length < 3) return
    const blob = Buffer.from(fields[2], 'base64')
    const keyType = keyTypeOfBlob(blob)
    if (keyType === undefined) return
    keys.push({file, line: index + 1, marker, hosts: fields[0], keyType, blob})
  })
  return keys
}

/** Reads and parses known_hosts files; a file that does not exist simply knows no host. */
export async function loadKnownHosts(files: readonly string[]): Promise<KnownHostKey[]> {
  const keys: KnownHostKey[] = []
  for (const file of files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    keys.push(...parseKnownHosts(text, file))
  }
  return keys
}

/** The name OpenSSH looks up: the host itself on port 22, `[host]:port` on any other. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/**
 * Whether a known_hosts host field covers `name`: a hashed name must hash to it; a comma list
 * matches when some pattern does and no negated (`!`) pattern does, as in OpenSSH.
 */
export function hostFieldMatches(hosts: string, name: string): boolean {
  // OpenSSH hashes the lower-cased name.
  if (hosts.startsWith('|1|')) return hashedNameMatches(hosts, name.toLowerCase())
  let matched = false
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatches(pattern.slice(1), name)) return false
    } else if (wildcardMatches(pattern, name)) {
      matched = true
    }
  }
  return matched
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, what `ssh-keygen -H` writes. */
export function hashedNameMatches(hashed: string, name: string): boolean {
  const [, , salt, hmac] = hashed.split('|')
  if (salt === undefined || hmac === undefined) return false
  const expected = Buffer.from(hmac, 'base64')
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest()
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** OpenSSH's pattern syntax: `*` any run, `?` one character, case-insensitive. */
export function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${source}$`, 'i').test(name)
}

/** What known_hosts says about the key a server presented. */
export type HostKeyVerdict =
  | {readonly kind: 'trusted'; readonly entry: KnownHostKey}
  | {readonly kind: 'revoked'; readonly entry: KnownHostKey}
  /** A key of the same type is known for the host, and it is another one. */
  | {readonly kind: 'changed'; readonly entry: KnownHostKey}
  /** Nothing for this key type; `otherTypes` are the host's keys of other types, `certAuthorities` the CA lines naming it. */
  | {readonly kind: 'unknown'; readonly otherTypes: readonly KnownHostKey[]; readonly certAuthorities: readonly KnownHostKey[]}

/**
 * Checks a presented key blob for `name` (see knownHostsName). A revoked key is refused even if
 * another line trusts it; `@cert-authority` lines never trust a plain key.
 */
export function checkHostKey(keys: readonly KnownHostKey[], name: string, blob: Buffer): HostKeyVerdict {
  const forHost = keys.filter((key) => hostFieldMatches(key.hosts, name))
  const revoked = forHost.find((key) => key.marker === 'revoked' && key.blob.equals(blob))
  if (revoked) return {kind: 'revoked', entry: revoked}
  const plain = forHost.filter((key) => key.marker === undefined)
  const trusted = plain.find((key) => key.blob.equals(blob))
  if (trusted) return {kind: 'trusted', entry: trusted}
  const type = keyTypeOfBlob(blob)
  const sameType = plain.find((key) => key.keyType === type)
  if (sameType) return {kind: 'changed', entry: sameType}
  return {kind: 'unknown', otherTypes: plain, certAuthorities: forHost.filter((key) => key.marker === 'cert-authority')}
}

/** ssh2's default host key algorithms, in its order (ed25519 first). */
const DEFAULT_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']

/**
 * Host key algorithms to offer, those known_hosts holds for `name` first: a host known by its
 * ecdsa key must be asked for that key, not refused because it would rather show ed25519.
 * Returns undefined (ssh2's default) when nothing is known for the host.
 */
export function hostKeyAlgorithmsFor(keys: readonly KnownHostKey[], name: string): string[] | undefined {
  const preferred: string[] = []
  for (const key of keys) {
    if (key.marker !== undefined || !hostFieldMatches(key.hosts, name)) continue
    // An RSA key is one type but three signature algorithms; the SHA-2 ones first, as OpenSSH.
    const algorithms = key.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [key.keyType]
    for (const algorithm of algorithms) if (DEFAULT_HOST_KEY_ALGORITHMS.includes(algorithm) && !preferred.includes(algorithm)) preferred.push(algorithm)
  }
  if (preferred.length === 0) return undefined
  return [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((algorithm) => !preferred.includes(algorithm))]
}

/** `SHA256:` and the unpadded base64 of the blob's SHA-256, exactly as `ssh-keygen -l` prints it. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type a public key blob starts with (an SSH string), or undefined if it is not one. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const length = blob.readUInt32BE(0)
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined
  const type = blob.subarray(4, 4 + length).toString('latin1')
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined
}
