import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {test} from 'node:test'
import {promisify} from 'node:util'

import {sshServerForSuite} from '../../helpers/sshd-server.js'

const run = promisify(execFile)
const server = sshServerForSuite()

test('the sshd fixture accepts its client key and checks out against its known_hosts', async () => {
  const s = server()
  const {stdout} = await run('ssh', ['-i', s.clientKey, '-o', `UserKnownHostsFile=${s.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(s.port), `${s.user}@127.0.0.1`, 'echo ok'])
  assert.equal(stdout.trim(), 'ok')
  assert.match(s.hostKey.fingerprint, /^SHA256:/)
})
