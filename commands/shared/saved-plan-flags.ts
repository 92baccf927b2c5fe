import {TreesyncError} from '../../src/index.js'

/**
 * Flags that only matter while planning, and why a saved plan cannot honour them. `apply
 * PLANFILE` executes the plan's operations and never re-decides, so accepting one of
 * these would silently ignore it: `--exclude keep.me` would still delete keep.me.
 * Flags that only restrict or record the apply (`--max-delete`, `--allow-delete-all`,
 * `--backup-dir`, `--log-file`, `--concurrency`, `--auto-approve`) are honoured, and the
 * cache flags (`--no-cache`, `--cache-dir`) are accepted: a plan never depends on the
 * cache, and scripts pass one set of flags to plan and apply.
 */
const PLANNING_FLAGS: Readonly<Record<string, string>> = {
  exclude: 'the plan already decides what is synced',
  'exclude-from': 'the plan already decides what is synced',
  compare: 'the plan already decided how files are compared',
  'modify-window': 'the plan already decided how files are compared',
}

/**
 * Refuses the first planning flag the user gave (`given`: flag names as typed, in order,
 * from oclif's raw tokens, so a default value does not count).
 */
export function refusePlanningFlags(given: readonly string[]): void {
  const flag = given.find((name) => Object.hasOwn(PLANNING_FLAGS, name))
  if (flag === undefined) return
  throw new TreesyncError(
    'BAD_INPUT',
    `--${flag} cannot be used with a saved plan: ${PLANNING_FLAGS[flag]} (pass it to plan, then apply the new plan)`,
  )
}
