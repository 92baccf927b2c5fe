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

// The server is on loopback, so a local temporary directory is also the remote root.
runBackendContract('SFTP (OpenSSH sshd)', async (t) => {
  const s = server()
  session ??= openSshSession({host: s.host, port: s.port, user: s.user}, {sshKey: s.clientKey})
  const root = await tempDir(t, 'treesync-sftp-')
  return new SftpBackend(await session, root, s.url(root))
})
