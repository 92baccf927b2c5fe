import {applyPlan, preparePlan, resolveRoots, type ApplyResult, type CompareMode, type Plan} from '../../src/index.js'

/** Plans and applies source → replica through the engine, as `apply --auto-approve` does. */
export async function syncOnce(
  source: string,
  replica: string,
  compare: CompareMode = 'md5',
): Promise<{plan: Plan; result: ApplyResult}> {
  const roots = await resolveRoots(source, replica)
  const {plan} = await preparePlan(roots, {compare})
  const result = await applyPlan(plan)
  return {plan, result}
}

/** Plans only: what a second run would still do. */
export async function planOnly(source: string, replica: string, compare: CompareMode = 'md5'): Promise<Plan> {
  return (await preparePlan(await resolveRoots(source, replica), {compare})).plan
}
