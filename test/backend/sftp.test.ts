import {after} from 'node:test'

import {SftpBackend} from '../../src/backend/sftp/sftp-backend.js'
import {openSshSession, type SshSession} from '../../src/backend/sftp/ssh-session.js'
import {sshServerForSuite} from '../helpers/sshd-server.js'
import {tempDir} from '../helpers/temp-dir.js'
import {runBackendContract} from './contract.js'

const server = sshServerForSuite()

/** One session for the whole file (a backend does not own its session): closed after the tests. */
let session: Promise<SshSession> | undefined
after(async () => {
  await (await session)?.close()
})

/** Opens the backend on a fresh root; `withSession` alters what the server is taken to offer. */
function opener(withSession: (s: SshSession) => SshSession = (s) => s) {
  return async (t: Parameters<typeof tempDir>[0]) => {
    const s = server()
    session ??= openSshSession({host: s.host, port: s.port, user: s.user}, {sshKey: s.clientKey, knownHosts: s.knownHosts, agent: false})
    // The server is on loopback, so a local temporary directory is also the remote root.
    const root = await tempDir(t, 'treesync-sftp-')
    return new SftpBackend(withSession(await session), root, s.url(root))
  }
}

runBackendContract('SFTP (OpenSSH sshd)', opener())

// A server without OpenSSH's extensions (another SFTP server): plain RENAME, which refuses
// to replace, so a replace removes first (atomicReplace false), and no fsync.
runBackendContract(
  'SFTP without posix-rename@openssh.com or fsync@openssh.com',
  opener((s) => ({...s, extensions: {...s.extensions, posixRename: false, fsync: false}})),
)
