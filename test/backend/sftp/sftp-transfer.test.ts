import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test, type TestContext} from 'node:test'

import {ABSENT} from '../../../src/backend/backend.js'
import {SftpBackend} from '../../../src/backend/sftp/sftp-backend.js'
import {openSshSession} from '../../../src/backend/sftp/ssh-session.js'
import {sshServerForSuite} from '../../helpers/sshd-server.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {CONTRACT_MTIME_MS, MemorySource} from '../memory-source.js'

const server = sshServerForSuite()
const MiB = 1024 * 1024

async function backendOn(t: TestContext): Promise<{backend: SftpBackend; root: string}> {
  const s = server()
  const root = await tempDir(t, 'treesync-sftp-')
  const session = await openSshSession({host: s.host, port: s.port, user: s.user}, {sshKey: s.clientKey, knownHosts: s.knownHosts, agent: false})
  t.after(() => session.close())
  return {backend: new SftpBackend(session, root, s.url(root)), root}
}

function speed(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(1)} MiB/s (${bytes / MiB} MiB in ${ms.toFixed(0)} ms)`
}

// Speeds are reported (t.diagnostic), never asserted: they depend on the machine.
test('a 64 MiB upload and download arrive whole; their speeds are reported', async (t) => {
  const {backend, root} = await backendOn(t)
  const data = randomBytes(64 * MiB)
  const md5 = createHash('md5').update(data).digest('hex')
  const source = new MemorySource()
  source.put('big', data)
  let started = performance.now()
  await backend.writeFile('big', {backend: source, path: 'big', expected: {size: data.length, mtimeMs: CONTRACT_MTIME_MS}}, {size: data.length, md5, mtimeMs: CONTRACT_MTIME_MS}, ABSENT)
  t.diagnostic(`upload: ${speed(data.length, performance.now() - started)}`)
  assert.ok((await readFile(join(root, 'big'))).equals(data))

  started = performance.now()
  const hash = createHash('md5')
  let size = 0
  for await (const chunk of await backend.openRead('big')) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  t.diagnostic(`download (openRead): ${speed(size, performance.now() - started)}`)
  assert.deepEqual([size, hash.digest('hex')], [data.length, md5])

  started = performance.now()
  assert.deepEqual(await backend.hash('big'), {md5, size: data.length})
  t.diagnostic(`hash (md5sum or reading, whichever pays; the first includes the exec probe): ${speed(data.length, performance.now() - started)}`)
})

test('lists of many directories run concurrently; walks with 1 to 64 in flight are reported', async (t) => {
  const {backend, root} = await backendOn(t)
  const dirs: string[] = []
  // 220 directories and the root, as in the walk that was measured before this backend (221).
  for (let i = 0; i < 11; i++) {
    for (let j = 0; j < 19; j++) dirs.push(`d${i}/e${j}`)
    dirs.push(`d${i}`)
  }
  for (const dir of dirs.sort()) {
    await mkdir(join(root, dir))
    await writeFile(join(root, dir, 'f'), 'x')
  }
  dirs.push('')
  for (const inFlight of [1, 4, 16, 64]) {
    const started = performance.now()
    const queue = [...dirs]
    let entries = 0
    await Promise.all(
      Array.from({length: inFlight}, async () => {
        for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
          const listed = await backend.list(dir)
          entries += listed.length
        }
      }),
    )
    t.diagnostic(`list of ${dirs.length} directories, ${inFlight} in flight: ${(performance.now() - started).toFixed(0)} ms`)
    assert.equal(entries, dirs.length - 1 + dirs.length - 1, 'every directory and file listed once')
  }
  assert.deepEqual((await backend.list('d0')).map((e) => e.name).sort(), [...Array.from({length: 19}, (_, j) => `e${j}`), 'f'].sort())
})
