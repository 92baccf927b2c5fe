import type {FileEntryWithStats, InputAttributes, SFTPWrapper, Stats} from 'ssh2'

import type {SshSession} from './ssh-session.js'
import {connectionLost, isNoSuchFile, sftpFailure} from './sftp-errors.js'

/** Data every SFTP server takes in one request (the draft's 32 KiB packets, less headers). */
const MIN_DATA_BYTES = 32 * 1024 - 1024

/** An open remote file or directory handle. */
export type SftpHandle = Buffer

/** SFTP v3 open flags, as ssh2 takes them in a string. `wx`: create, exclusive (fails if the name exists). */
export type OpenFlags = 'r' | 'wx'

/**
 * The SFTP requests the backend makes, as promises on absolute remote paths, each failure
 * translated (`sftpFailure`). Every call is sent at once: ssh2 numbers requests and the
 * server answers them in any order, so callers get concurrency by simply not awaiting one
 * call before making the next. Once the connection has ended, calls fail at once (ssh2
 * would otherwise queue them on a dead channel and never answer).
 */
export class SftpCalls {
  private static readonly ofSession = new WeakMap<SshSession, SftpCalls>()

  /** The one `SftpCalls` of a session (each watches the session's end: one watcher, however many users). */
  static forSession(session: SshSession): SftpCalls {
    let calls = SftpCalls.ofSession.get(session)
    if (!calls) SftpCalls.ofSession.set(session, (calls = new SftpCalls(session)))
    return calls
  }

  private readonly sftp: SFTPWrapper
  private lost = false

  constructor(readonly session: SshSession) {
    this.sftp = session.sftp
    void session.ended.then(() => (this.lost = true))
    this.sftp.once('close', () => (this.lost = true))
  }

  /**
   * The most data one WRITE may carry: OpenSSH's `limits@openssh.com` figure (255 KiB),
   * which ssh2 reads into a private field; 32 KiB (every server's minimum) if it is not there.
   */
  get maxWriteBytes(): number {
    return (this.sftp as unknown as {_maxWriteLen?: number})._maxWriteLen ?? MIN_DATA_BYTES
  }

  /** The most data one READ is answered with (see `maxWriteBytes`). */
  get maxReadBytes(): number {
    return (this.sftp as unknown as {_maxReadLen?: number})._maxReadLen ?? MIN_DATA_BYTES
  }

  /** lstat, or undefined when nothing is at the path. */
  async lstat(path: string): Promise<Stats | undefined> {
    try {
      return await this.call<Stats>(path, (cb) => this.sftp.lstat(path, cb))
    } catch (error) {
      if (isNoSuchFile(error)) return undefined
      throw error
    }
  }

  readlink(path: string): Promise<string> {
    return this.call(path, (cb) => this.sftp.readlink(path, cb))
  }

  realpath(path: string): Promise<string> {
    return this.call(path, (cb) => this.sftp.realpath(path, cb))
  }

  /** Names with their attributes (lstat'ed by the server), `.` and `..` left out; ssh2 repeats READDIR until EOF. */
  readdir(path: string): Promise<FileEntryWithStats[]> {
    return this.call(path, (cb) => this.sftp.readdir(path, cb))
  }

  open(path: string, flags: OpenFlags, mode = 0o600): Promise<SftpHandle> {
    return this.call(path, (cb) => this.sftp.open(path, flags, {mode}, cb))
  }

  close(handle: SftpHandle, path: string): Promise<void> {
    return this.call(path, (cb) => this.sftp.close(handle, cb))
  }

  /** Reads up to `length` bytes at `position`: fewer (0 at the end) when the file is shorter. */
  read(handle: SftpHandle, path: string, length: number, position: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length)
    return this.call<Buffer>(path, (cb) =>
      this.sftp.read(handle, buffer, 0, length, position, (error, bytesRead) => {
        // ssh2 reports the end of the file as a zero-byte read, not as an EOF status error.
        cb(error, buffer.subarray(0, bytesRead))
      }),
    )
  }

  write(handle: SftpHandle, path: string, data: Buffer, position: number): Promise<void> {
    return this.call(path, (cb) => this.sftp.write(handle, data, 0, data.length, position, cb))
  }

  fsync(handle: SftpHandle, path: string): Promise<void> {
    return this.call(path, (cb) => this.sftp.ext_openssh_fsync(handle, cb))
  }

  fstat(handle: SftpHandle, path: string): Promise<Stats> {
    return this.call(path, (cb) => this.sftp.fstat(handle, cb))
  }

  fsetstat(handle: SftpHandle, path: string, attributes: InputAttributes): Promise<void> {
    return this.call(path, (cb) => this.sftp.fsetstat(handle, attributes, cb))
  }

  setstat(path: string, attributes: InputAttributes): Promise<void> {
    return this.call(path, (cb) => this.sftp.setstat(path, attributes, cb))
  }

  /**
   * SFTP v3 RENAME. OpenSSH refuses an existing `to` for a regular file (it links, then
   * unlinks); for a directory or a symlink, and for a file on a filesystem without hard
   * links, it does stat(`to`) then rename(2), so a `to` whose stat fails (a dangling
   * symlink) is replaced, as is anything created between the two. Check `to` first.
   */
  rename(from: string, to: string): Promise<void> {
    return this.call(from, (cb) => this.sftp.rename(from, to, cb))
  }

  /** `posix-rename@openssh.com`: rename(2), replacing `to` atomically. */
  posixRename(from: string, to: string): Promise<void> {
    return this.call(from, (cb) => this.sftp.ext_openssh_rename(from, to, cb))
  }

  unlink(path: string): Promise<void> {
    return this.call(path, (cb) => this.sftp.unlink(path, cb))
  }

  mkdir(path: string, mode?: number): Promise<void> {
    return this.call(path, (cb) => this.sftp.mkdir(path, mode === undefined ? {} : {mode}, cb))
  }

  rmdir(path: string): Promise<void> {
    return this.call(path, (cb) => this.sftp.rmdir(path, cb))
  }

  /**
   * Creates a symlink at `linkPath` holding `target`. ssh2 takes (target, link) and swaps
   * them on the wire for OpenSSH, whose SYMLINK has its arguments the other way round
   * from the draft; the tests check what lands.
   */
  symlink(target: string, linkPath: string): Promise<void> {
    return this.call(linkPath, (cb) => this.sftp.symlink(target, linkPath, cb))
  }

  private call<T = void>(path: string, send: (cb: (error: Error | undefined | null, value?: T) => void) => void): Promise<T> {
    if (this.lost) return Promise.reject(connectionLost(this.session.label, path))
    return new Promise<T>((resolve, reject) => {
      try {
        send((error, value) => (error ? reject(sftpFailure(error, path, this.session.label)) : resolve(value as T)))
      } catch (error) {
        // ssh2 throws synchronously when the channel is already closed.
        reject(this.lost ? connectionLost(this.session.label, path) : sftpFailure(error, path, this.session.label))
      }
    })
  }
}
