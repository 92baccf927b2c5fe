import {stopSharedRadosgw} from './radosgw-server.js'

/**
 * `node dist/test/helpers/radosgw-stop.js`: stops the test run's shared radosgw cluster now
 * (it stops by itself once the `node --test` runner that started it is gone; this is for a
 * script that wants it gone at once, or for cleaning up by hand). Does nothing when the
 * test runner loads it as a test file (`node --test dist/test/` runs every file under test/).
 */
if (process.env.NODE_TEST_CONTEXT === undefined) {
  process.stdout.write(`${await stopSharedRadosgw()}\n`)
}
