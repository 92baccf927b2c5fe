import assert from 'node:assert/strict'
import {rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import {buildTree} from '../helpers/tree-builder.js'
import {assertMirror} from '../helpers/tree-snapshot.js'
import {cycleLines, longRunScene as scene} from './long-run-support.js'
import {eventually, logLines, startCli} from './watch-process.js'

describe('watch --events and a replaced source folder', () => {
  for (const pause of [true, false]) {
    test(`a source folder removed and created again${pause ? ' a while later' : ' at once'} is watched again`, async (t) => {
      const s = await scene(t)
      const watch = startCli(t, ['watch', s.source, s.replica, '3600', s.log, '--events', '--cache-dir', s.cache])
      await eventually(async () => (await cycleLines(s.log)).length >= 1, 10_000, 'the first cycle')
      await sleep(300) // let the watcher settle after its initial scan
      await rm(s.source, {recursive: true})
      if (pause) {
        const failed = / ERROR cycle \d+ failed: source directory does not exist/
        await eventually(async () => (await logLines(s.log)).some((l) => failed.test(l)), 10_000, 'a cycle on the missing source')
      }
      // What a restored backup or a remount looks like: the old content and something new
      // (an emptied source is the delete guard's business, not this test's).
      await buildTree(s.source, [
        {path: 'a.txt', type: 'file', content: 'alpha'},
        {path: 'back.txt', type: 'file', content: 'back'},
      ])
      await eventually(() => assertMirror(s.source, s.replica), 5000, 'the new folder mirrored')
      await sleep(300)
      await writeFile(join(s.source, 'later.txt'), 'seen by the new watcher')
      await eventually(() => assertMirror(s.source, s.replica), 5000, 'a later change mirrored')
      watch.child.kill('SIGTERM')
      assert.equal(await watch.exited, 0)
      assert.ok((await logLines(s.log)).some((l) => / INFO source folder .* was replaced: watching the new one$/.test(l)))
    })
  }
})
