import {describe} from 'node:test'

import type {BackendFactory} from './contract-support.js'
import {preconditionContract} from './contract-preconditions.js'
import {readContract} from './contract-reads.js'
import {writeContract} from './contract-writes.js'

export type {BackendFactory} from './contract-support.js'

/**
 * The backend contract (rclone's `fstests`): one set of tests every backend passes, run
 * against a backend of one kind opened by `open` on a fresh, empty root for each test.
 * Tests respect the backend's capabilities: mtimes compared at its precision, modes only
 * where kept, symlink tests skipped where it has none.
 */
export function runBackendContract(kind: string, open: BackendFactory): void {
  describe(`backend contract: ${kind}`, () => {
    readContract(open)
    writeContract(open)
    preconditionContract(open)
  })
}
