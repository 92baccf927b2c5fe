#!/usr/bin/env node
import {userInfo} from 'node:os'

// A uid with no passwd entry (a container's arbitrary uid, `setpriv --reuid`) and no HOME or
// SHELL in its environment makes os.homedir() and os.userInfo() throw, and oclif calls both
// while it loads. Such a user has no home: "/" as systemd gives it (the hash cache under it
// is then unwritable, which is a warning, not a failure).
if (!process.env.HOME || !process.env.SHELL) {
  try {
    userInfo()
  } catch {
    process.env.HOME ||= '/'
    process.env.SHELL ||= '/bin/sh'
  }
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
