import {TreesyncError} from '../../errors.js'

/** SFTP status codes (draft-ietf-secsh-filexfer-02, what OpenSSH speaks) that ssh2 puts in `error.code`. */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const

/**
 * The Node errno code each status maps to, so `describeFsError` words it as it words a
 * local error (`permission denied`, `no such file or directory`). FAILURE is SFTP v3's
 * catch-all (OpenSSH answers it for EEXIST, ENOTEMPTY, ENOSPC…): the message says no more.
 */
const ERRNO_OF_STATUS: Record<number, string> = {
  [SFTP_STATUS.NO_SUCH_FILE]: 'ENOENT',
  [SFTP_STATUS.PERMISSION_DENIED]: 'EACCES',
}

const WORDS_OF_STATUS: Record<number, string> = {
  [SFTP_STATUS.FAILURE]: 'the server refused (SFTP failure)',
  [SFTP_STATUS.BAD_MESSAGE]: 'the server did not understand the request',
  [SFTP_STATUS.OP_UNSUPPORTED]: 'the server does not support this operation',
}

/** ssh2's error for requests still pending when the channel closed. */
const NO_RESPONSE = 'No response from server'

/** A status error from the server, with the path it was about; `code` is errno-like where one fits. */
export class SftpStatusError extends Error {
  constructor(
    /** The SFTP status number. */
    readonly status: number,
    message: string,
    /** The remote path the request named. */
    readonly path: string,
    /** Errno-like code (`ENOENT`, `EACCES`) for callers and `describeFsError`, else `SFTP_<status>`. */
    readonly code: string,
  ) {
    super(message)
    this.name = 'SftpStatusError'
  }
}

/** True when a failure was the server saying there is nothing at the path. */
export function isNoSuchFile(error: unknown): boolean {
  return error instanceof SftpStatusError && error.status === SFTP_STATUS.NO_SUCH_FILE
}

/** True when a failure is a lost connection (already translated, or raw from ssh2). */
function isConnectionLost(error: unknown): boolean {
  if (error instanceof TreesyncError) return error.code === 'ROOT_UNREACHABLE'
  const code = (error as {code?: unknown} | undefined)?.code
  return code === SFTP_STATUS.NO_CONNECTION || code === SFTP_STATUS.CONNECTION_LOST || (error as Error | undefined)?.message === NO_RESPONSE
}

/**
 * Translates what ssh2 reports for one request into an error a user can read: a status
 * error worded like a local one and carrying the remote path, or a lost connection as a
 * ROOT_UNREACHABLE TreesyncError naming the connection (the caller names its own path).
 */
export function sftpFailure(error: unknown, remotePath: string, label: string): Error {
  if (error instanceof TreesyncError || error instanceof SftpStatusError) return error
  if (isConnectionLost(error)) return connectionLost(label, remotePath)
  const status = (error as {code?: unknown} | undefined)?.code
  if (typeof status !== 'number') return error instanceof Error ? error : new Error(String(error))
  const errno = ERRNO_OF_STATUS[status]
  const words = WORDS_OF_STATUS[status] ?? (errno ? undefined : `SFTP status ${status}: ${(error as Error).message}`)
  const message = words ?? (errno === 'EACCES' ? 'permission denied' : 'no such file or directory')
  return new SftpStatusError(status, `${message}: ${remotePath}`, remotePath, errno ?? `SFTP_${status}`)
}

/** The error for any request on a connection that has ended. */
export function connectionLost(label: string, path?: string): TreesyncError {
  return new TreesyncError('ROOT_UNREACHABLE', `connection to ${label} lost`, path)
}
