import {readFile, rename, unlink, writeFile} from 'node:fs/promises'

import {describeFsError, TreesyncError} from '../errors.js'
import type {Plan} from '../plan/plan.js'
import {tempPathBeside} from '../tree/temp-name.js'
import {toPlanJson} from './plan-json.js'
import {validatePlan} from './validate-plan.js'

/**
 * Writes a plan as its JSON document (`toPlanJson`), atomically: a temporary file beside
 * the target, renamed into place, so a reader never sees half a plan and an old plan is
 * replaced whole.
 */
export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  const temp = tempPathBeside(path)
  try {
    await writeFile(temp, JSON.stringify(toPlanJson(plan), null, 2) + '\n', {flag: 'wx'})
    await rename(temp, path)
  } catch (error) {
    // EEXIST: the temporary's name was taken (it is created exclusively), so it is not ours.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await unlink(temp).catch(() => undefined)
    throw new TreesyncError('BAD_INPUT', `cannot write plan file ${path}: ${describeFsError(error)}`, path)
  }
}

/** Reads and validates a plan file; anything unexpected rejects it whole. */
export async function readPlanFile(path: string): Promise<Plan> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new TreesyncError('PLAN_INVALID', `cannot read plan file ${path}: ${describeFsError(error)}`, path)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new TreesyncError('PLAN_INVALID', `plan file ${path} is not valid JSON`, path)
  }
  return validatePlan(value, path)
}
