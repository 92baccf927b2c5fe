import {createInterface} from 'node:readline/promises'

import {TreesyncError} from '../../src/index.js'
import type {Interrupts} from './interrupts.js'

const QUESTION = '\nDo you want to perform these actions?\n  Only "yes" will be accepted to approve.\n\n  Enter a value: '

/**
 * Asks on the terminal whether to apply; only the exact answer `yes` proceeds. Without a
 * terminal there is nobody to ask, so apply refuses rather than guess. Ctrl-C stops the
 * command like SIGINT; Ctrl-D (no answer) cancels.
 */
export async function confirmApply(interrupts: Interrupts): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new TreesyncError('NOT_CONFIRMED', 'refusing to apply without confirmation: stdin is not a terminal (use --auto-approve)')
  }
  const rl = createInterface({input: process.stdin, output: process.stderr})
  // readline reads a terminal key by key (raw mode): Ctrl-C reaches it as a key, not a signal.
  rl.on('SIGINT', () => interrupts.trigger('SIGINT'))
  const closed = new Promise<never>((_, reject) =>
    rl.once('close', () => reject(new TreesyncError('NOT_CONFIRMED', 'apply cancelled: no answer was given'))),
  )
  try {
    const answer = await Promise.race([rl.question(QUESTION, {signal: interrupts.signal}), closed])
    if (answer.trim() !== 'yes') throw new TreesyncError('NOT_CONFIRMED', 'apply cancelled')
  } catch (error) {
    if (interrupts.signal.aborted) throw new TreesyncError('INTERRUPTED', 'interrupted at the prompt')
    throw error
  } finally {
    rl.close()
  }
}
