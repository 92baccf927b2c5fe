/**
 * Turns what ssh2 and the socket report about a failed connection into one line naming the
 * host, for `error: …` and exit 1. The raw messages ("getaddrinfo ENOTFOUND", "Timed out while
 * waiting for handshake") tell a user less than what went wrong in their terms.
 */

/** ssh2's errors carry where they arose (`client-socket`, `client-timeout`, `handshake`…). */
export type SshClientError = Error & {level?: string; code?: string | number; description?: string}

/** How the connection is shown: `user@alias:port`, with the HostName when the config changed it. */
export interface ConnectionShown {
  label: string
  alias: string
  hostName: string
  timeoutMs: number
}

/** The one-line message for a failure before the session was ready (host keys and login aside). */
export function describeConnectionFailure(error: SshClientError | undefined, shown: ConnectionShown): string {
  const where = shown.alias === shown.hostName ? shown.label : `${shown.label} (HostName ${shown.hostName})`
  if (error === undefined) return `connection to ${where} closed during the SSH handshake (is it an SSH server, and does it accept us?)`
  // ssh2's words when the peer hangs up before sending an SSH greeting (not sshd, or sshd at MaxStartups).
  if (/Connection lost before handshake/i.test(error.message)) return `connection to ${where} closed before the SSH handshake (is it an SSH server?)`
  if (error.level === 'client-timeout') return `cannot connect to ${where}: no SSH handshake within ${formatSeconds(shown.timeoutMs)}`
  if (error.level === 'client-socket') {
    switch (error.code) {
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EAI_NONAME':
      case 'EAI_FAIL':
        return shown.alias === shown.hostName ? `cannot resolve host ${shown.hostName}` : `cannot resolve host ${shown.hostName} (HostName of ${shown.alias} in ~/.ssh/config)`
      case 'ECONNREFUSED':
        return `cannot connect to ${where}: connection refused`
      case 'ETIMEDOUT':
        return `cannot connect to ${where}: connection timed out`
      case 'EHOSTUNREACH':
        return `cannot connect to ${where}: no route to host`
      case 'ENETUNREACH':
        return `cannot connect to ${where}: network is unreachable`
      case 'ECONNRESET':
      case 'EPIPE':
        return `connection to ${where} reset during the SSH handshake`
    }
  }
  if (typeof error.code === 'number') return `the server ${where} disconnected: ${firstLine(error.message)}`
  return `cannot connect to ${where}: ${firstLine(error.message)}`
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

/** The first line of a message: the CLI prints one line, and some errors carry several. */
export function firstLine(message: string): string {
  return message.split('\n')[0].trim()
}
