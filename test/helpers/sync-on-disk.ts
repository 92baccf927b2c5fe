import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {applyPlan, preparePlan, resolveRoots, type ApplyResult, type CompareMode, type Plan} from '../../src/index.js'
import {buildTree} from './tree-builder.js'

/**
 * Plans and applies source → replica through the engine, as `apply --auto-approve
 * --allow-delete-all` does: random trees often empty a replica, which is what they test.
 */
export async function syncOnce(
  source: string,
  replica: string,
  compare: CompareMode = 'md5',
): Promise<{plan: Plan; result: ApplyResult}> {
  const roots = await resolveRoots(source, replica)
  const {plan} = await preparePlan(roots, {compare})
  const result = await applyPlan(plan, {guards: {allowDeleteAll: true}})
  return {plan, result}
}

/** Plans only: what a second run would still do. */
export async function planOnly(source: string, replica: string, compare: CompareMode = 'md5'): Promise<Plan> {
  return (await preparePlan(await resolveRoots(source, replica), {compare})).plan
}

/**
 * A plan made stale for one file: it updates a.txt ("old a" → "new a") and creates b.txt,
 * then the source's a.txt changes again before apply.
 */
export async function planThenChangeSource(source: string, replica: string): Promise<Plan> {
  await buildTree(source, [
    {path: 'a.txt', type: 'file', content: 'new a'},
    {path: 'b.txt', type: 'file', content: 'new b'},
  ])
  await buildTree(replica, [{path: 'a.txt', type: 'file', content: 'old a'}])
  const plan = await planOnly(source, replica)
  await writeFile(join(source, 'a.txt'), 'changed again, longer')
  return plan
}
