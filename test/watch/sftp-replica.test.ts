import assert from 'node:assert/strict'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {sshServerForSuite} from '../helpers/sshd-server.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {snapshotTree} from '../helpers/tree-snapshot.js'
import {eventually, logLines, startCli} from './watch-process.js'

const server = sshServerForSuite()

async function mirroredToTheSecond(source: string, replica: string): Promise<void> {
  const seconds = async (root: string) =>
    (await snapshotTree(root)).map((e) => (e.mtimeMs === undefined ? e : {...e, mtimeMs: Math.floor(e.mtimeMs / 1000) * 1000}))
  assert.deepEqual(await seconds(replica), await seconds(source))
}

test('watch to an SFTP replica keeps one connection across cycles, logs one error per cycle while the server is down, and reconnects', async (t) => {
  const dir = await tempDir(t)
  const home = await mkdtemp(join(tmpdir(), 'treesync-home-'))
  t.after(() => import('node:fs/promises').then(({rm}) => rm(home, {recursive: true, force: true})))
  const [source, replica, log, cache] = ['src', 'rep', 'watch.log', 'cache'].map((name) => join(dir, name)) as [string, string, string, string]
  await buildTree(source, [{path: 'a.txt', type: 'file', content: 'alpha'}])
  const s = server()
  const loginsBefore = s.logins()
  const watch = startCli(
    t,
    ['watch', source, s.url(replica), '0.3', log, '--cache-dir', cache, '--ssh-key', s.clientKey, '--known-hosts', s.knownHosts],
    {HOME: home, SSH_AUTH_SOCK: ''},
  )
  await eventually(() => mirroredToTheSecond(source, replica), 10_000, 'the first mirror')
  const cycles = async (): Promise<number> => (await logLines(log)).filter((l) => / cycle \d+: no changes/.test(l)).length
  await eventually(async () => (await cycles()) >= 4, 10_000, 'a few idle cycles')
  assert.equal(s.logins() - loginsBefore, 1, 'one SSH login for the whole watch so far')

  await s.kill()
  await eventually(async () => (await logLines(log)).filter((l) => / ERROR cycle \d+ failed: /.test(l)).length >= 3, 15_000, 'failing cycles')
  const failing = (await logLines(log)).filter((l) => / ERROR /.test(l))
  const byCycle = new Map<string, number>()
  for (const line of failing) {
    const cycle = / cycle (\d+) /.exec(line)?.[1] ?? '?'
    byCycle.set(cycle, (byCycle.get(cycle) ?? 0) + 1)
  }
  for (const [cycle, count] of byCycle) assert.equal(count, 1, `cycle ${cycle} logged ${count} errors:\n${failing.join('\n')}`)

  await s.restart()
  await writeFile(join(source, 'while-down.txt'), 'written while the server was down')
  // Reconnection waits out a backoff of at most a few seconds here.
  await eventually(() => mirroredToTheSecond(source, replica), 20_000, 'the mirror after the server came back')
  await sleep(100)
  watch.child.kill('SIGTERM')
  assert.equal(await watch.exited, 0, watch.output())
})
