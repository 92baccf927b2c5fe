import {join} from 'node:path'
import type {TestContext} from 'node:test'

import {tempDir} from '../helpers/temp-dir.js'
import {buildTree} from '../helpers/tree-builder.js'
import {logLines} from './watch-process.js'

/**
 * What the long-running watch tests share (issue 11: days-long intervals, logrotate,
 * hang-ups, a replaced source): a one-file source, and where the replica, log and cache go.
 */
export async function longRunScene(t: TestContext) {
  const root = await tempDir(t)
  const s = {root, source: join(root, 'source'), replica: join(root, 'replica'), log: join(root, 'sync.log'), cache: join(root, 'cache')}
  await buildTree(s.source, [{path: 'a.txt', type: 'file', content: 'alpha'}])
  return s
}

/** The cycle summary lines in a log file. */
export const cycleLines = async (log: string): Promise<string[]> => (await logLines(log)).filter((l) => / cycle \d+: /.test(l))
