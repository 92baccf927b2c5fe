import assert from 'node:assert/strict'
import {join} from 'node:path'
import {test} from 'node:test'

import {Logger, runCycle} from '../../src/index.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'

test('a cycle failing on a filesystem error logs the path that error is about, and deletes nothing', async (t) => {
  const root = await tempDir(t)
  const [source, replica] = [join(root, 'source'), join(root, 'replica')]
  await buildTree(source, [{path: 'a.txt', type: 'file', content: 'a'}])
  await buildTree(replica, [{path: 'extra.txt', type: 'file', content: 'kept'}])
  const lines: string[] = []
  // The second sink is a log file on a full disk: its first write fails as the fs does.
  let full = true
  const fullDisk = {
    write: () => {
      if (!full) return
      full = false
      throw Object.assign(new Error("ENOSPC: no space left on device, write '/var/log/treesync.log'"), {code: 'ENOSPC', path: '/var/log/treesync.log'})
    },
  }
  const logger = new Logger([{write: (line) => lines.push(line)}, fullDisk])
  const report = await runCycle(1, {source, replica, settings: {compare: 'md5', guards: {allowDeleteAll: false}, ownFiles: []}, logger})
  assert.equal(report.status, 'failed')
  assert.ok(
    lines.some((l) => l.endsWith(' ERROR cycle 1 failed: /var/log/treesync.log: no space left on device; nothing was deleted')),
    lines.join('\n'),
  )
})
