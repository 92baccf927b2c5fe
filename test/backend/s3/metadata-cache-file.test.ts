import assert from 'node:assert/strict'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {FileMetadataCache, metadataCacheFile} from '../../../src/backend/s3/metadata-cache-file.js'
import {tempDir} from '../../helpers/temp-dir.js'

const NOW_MS = 1_710_000_000_000
const record = (seconds: number, key = 'site/a.txt') => `"etag"|${seconds}|3|${key}`

test('records used or made in a run are kept for the next; unused ones, and ones too recent to trust, are not', async (t) => {
  const dir = await tempDir(t)
  const file = metadataCacheFile(dir, 'http://127.0.0.1:7480', 's3://b/site')
  assert.ok(file.startsWith(join(dir, 's3-metadata')))
  const first = await FileMetadataCache.open(file)
  const old = NOW_MS / 1000 - 60
  first.set(record(old), {mtimeNs: -5n, md5: '0123456789abcdef0123456789abcdef'})
  first.set(record(old, 'site/unused'), {mtimeNs: 7n})
  first.set(record(NOW_MS / 1000 - 1), {mtimeNs: 9n})
  await first.save(NOW_MS)

  const second = await FileMetadataCache.open(file)
  assert.deepEqual(second.get(record(old)), {mtimeNs: -5n, md5: '0123456789abcdef0123456789abcdef'})
  assert.equal(second.get(record(NOW_MS / 1000 - 1)), undefined, 'a record of the last seconds is not saved')
  await second.save(NOW_MS)
  const third = await FileMetadataCache.open(file)
  assert.equal(third.get(record(old, 'site/unused')), undefined, 'a record no run used is dropped')
  assert.ok(third.get(record(old)))
})

test('a missing, corrupt or older-format file is an empty cache', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'cache.json')
  assert.equal((await FileMetadataCache.open(file)).get(record(1)), undefined)
  for (const text of ['{not json', JSON.stringify({format: 1, records: {[record(1)]: ['5', null]}}), JSON.stringify({format: 2, records: {[record(1)]: ['x5', 'nothex']}})]) {
    await writeFile(file, text)
    assert.equal((await FileMetadataCache.open(file)).get(record(1)), undefined, text)
  }
  await writeFile(file, JSON.stringify({format: 2, records: {[record(1)]: ['5', 'nothex']}}))
  assert.deepEqual((await FileMetadataCache.open(file)).get(record(1)), {mtimeNs: 5n}, 'a bad MD5 is left out, the mtime kept')
  assert.ok((await readFile(file, 'utf8')).length > 0)
})
