import assert from 'node:assert/strict'
import {join} from 'node:path'
import {test} from 'node:test'

import {Backup} from '../../../src/backend/local/backup.js'
import {promiseIo} from '../../../src/backend/local/file-io.js'
import {tempDir} from '../../helpers/temp-dir.js'
import {buildTree} from '../../helpers/tree-builder.js'
import {snapshotTree} from '../../helpers/tree-snapshot.js'

/**
 * Injects the failure: running as root, permission bits do not make lstat fail, and a
 * directory that lstat cannot search stops the backup's own writes there too.
 */
function lstatDeniedUnder(dir: string) {
  const io = promiseIo()
  return {
    lstat: (path: string) =>
      path.startsWith(`${dir}/`)
        ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, lstat '${path}'`), {code: 'EACCES', syscall: 'lstat', path}))
        : io.lstat(path),
  }
}

test('a backup name that cannot be checked (lstat fails, not ENOENT) fails the backup: no earlier backup is overwritten', async (t) => {
  const dir = await tempDir(t)
  const s = {replica: join(dir, 'replica'), backup: join(dir, 'backup')}
  for (const name of ['doc.txt', 'gone.txt']) {
    await buildTree(s.replica, [{path: name, type: 'file', content: `the replica's ${name}`}])
    await buildTree(s.backup, [{path: name, type: 'file', content: `an earlier backup of ${name}`}])
  }
  const before = {replica: await snapshotTree(s.replica), backup: await snapshotTree(s.backup)}
  const backup = new Backup(s.backup, new Date('2026-01-02T03:04:05.678Z'), lstatDeniedUnder(s.backup))

  await assert.rejects(backup.keepCopy(join(s.replica, 'doc.txt'), 'doc.txt'), {code: 'EACCES'})
  await assert.rejects(backup.moveAway(join(s.replica, 'gone.txt'), 'gone.txt'), {code: 'EACCES'})
  assert.deepEqual(await snapshotTree(s.backup), before.backup, 'the earlier backups are untouched')
  assert.deepEqual(await snapshotTree(s.replica), before.replica, 'the replica entries stay where they were')
})

test('a kept copy never replaces a backup name taken after it was found free: the backup fails, nothing changes', async (t) => {
  const dir = await tempDir(t)
  const s = {replica: join(dir, 'replica'), backup: join(dir, 'backup')}
  await buildTree(s.replica, [{path: 'doc.txt', type: 'file', content: "the replica's doc.txt"}])
  await buildTree(s.backup, [{path: 'doc.txt', type: 'file', content: 'a backup written meanwhile'}])
  const before = {replica: await snapshotTree(s.replica), backup: await snapshotTree(s.backup)}
  // Every name looks free when checked: another writer takes it just before ours.
  const backup = new Backup(s.backup, new Date('2026-01-02T03:04:05.678Z'), {lstat: async () => undefined})

  await assert.rejects(backup.keepCopy(join(s.replica, 'doc.txt'), 'doc.txt'), {code: 'EEXIST'})
  assert.deepEqual(await snapshotTree(s.backup), before.backup, 'the other backup is untouched')
  assert.deepEqual(await snapshotTree(s.replica), before.replica)
})
