import {createInterface} from 'node:readline/promises'

import {TreesyncError} from '../../src/index.js'

/**
 * Asks on the terminal whether to apply; only the exact answer `yes` proceeds. Without a
 * terminal there is nobody to ask, so apply refuses rather than guess.
 */
export async function confirmApply(): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new TreesyncError('NOT_CONFIRMED', 'refusing to apply without confirmation: stdin is not a terminal (use --auto-approve)')
  }
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await rl.question(
      '\nDo you want to perform these actions?\n  Only "yes" will be accepted to approve.\n\n  Enter a value: ',
    )
    if (answer.trim() !== 'yes') throw new TreesyncError('NOT_CONFIRMED', 'apply cancelled')
  } finally {
    rl.close()
  }
}
