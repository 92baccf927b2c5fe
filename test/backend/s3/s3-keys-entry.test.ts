import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {isLimited} from '../../../src/backend/capabilities.js'
import {S3_CAPABILITIES} from '../../../src/backend/s3/s3-capabilities.js'
import {changeTokenOf, dirEntry, fileEntry, MemoryMetadataCache, metadataOf} from '../../../src/backend/s3/s3-entry.js'
import {S3Keys} from '../../../src/backend/s3/s3-keys.js'

const MD5 = '5d41402abc4b2a76b9719d911017c592'

describe('S3 keys', () => {
  test('files and directories under a prefix', () => {
    const keys = new S3Keys('bucket', 'backups/site')
    assert.equal(keys.base, 'backups/site/')
    assert.equal(keys.fileKey('a/b.txt'), 'backups/site/a/b.txt')
    assert.equal(keys.dirPrefix(''), 'backups/site/')
    assert.equal(keys.dirPrefix('a'), 'backups/site/a/')
    assert.equal(keys.markerKey('a'), 'backups/site/a/')
    assert.equal(keys.markerKey(''), 'backups/site/', "the root's own marker, as rclone makes one")
    assert.equal(keys.url, 's3://bucket/backups/site')
  })

  test('a whole bucket', () => {
    const keys = new S3Keys('bucket', '')
    assert.equal(keys.fileKey('a'), 'a')
    assert.equal(keys.dirPrefix(''), '')
    assert.equal(keys.markerKey(''), undefined)
    assert.equal(keys.url, 's3://bucket')
    assert.throws(() => keys.fileKey(''), TypeError)
  })

  test('a prefix with a slash at either end is refused (a root spec never has one)', () => {
    assert.throws(() => new S3Keys('b', '/p'), TypeError)
    assert.throws(() => new S3Keys('b', 'p/'), TypeError)
  })

  test('names of listed keys and common prefixes; what a tree cannot hold has none', () => {
    const keys = new S3Keys('bucket', 'p')
    assert.equal(keys.nameIn('', 'p/a.txt'), 'a.txt')
    assert.equal(keys.nameIn('', 'p/sub/'), 'sub')
    assert.equal(keys.nameIn('sub', 'p/sub/x'), 'x')
    assert.equal(keys.nameIn('', 'p/'), undefined, "the directory's own marker")
    assert.equal(keys.nameIn('', 'p//'), undefined, 'an empty name (a key with //)')
    assert.equal(keys.nameIn('', 'p/./'), undefined)
    assert.equal(keys.nameIn('', 'p/../'), undefined)
    assert.equal(keys.nameIn('', 'q/a'), undefined, 'outside the prefix')
    assert.equal(keys.nameIn('', 'p/a/b'), undefined, 'not directly in the directory')
    assert.equal(keys.nameIn('', 'p/ü name \\ x'), 'ü name \\ x', 'any other character is a name')
  })
})

describe('S3 entries', () => {
  const facts = {size: 5, etag: `"${MD5}"`, lastModified: new Date(1_710_000_000_000)}

  test('mtime from the metadata at millisecond precision, else LastModified', () => {
    assert.equal(metadataOf(facts, {mtime: '1704164644.123456789'}).mtimeNs, 1_704_164_644_123_000_000n)
    assert.equal(metadataOf(facts, {mtime: '-0.5'}).mtimeNs, 500_000_000n, "rclone's reading: -0 s + 0.5 s")
    assert.equal(metadataOf(facts, {mtime: '-1.0000005'}).mtimeNs, -1_000_000_000n, 'floored, also before 1970')
    assert.equal(metadataOf(facts, {}).mtimeNs, 1_710_000_000_000_000_000n)
    assert.equal(metadataOf(facts, {mtime: 'garbage'}).mtimeNs, 1_710_000_000_000_000_000n)
  })

  test('a file entry carries the free MD5 and the (ETag, LastModified, size) token', () => {
    const entry = fileEntry(facts, metadataOf(facts, {mtime: '1704164644'}))
    assert.deepEqual(entry, {type: 'file', size: 5, mtimeNs: 1_704_164_644_000_000_000n, changeToken: `"${MD5}"|1710000000|5`, md5: MD5})
    const multipart = {...facts, etag: `"${MD5}-2"`}
    assert.equal(fileEntry(multipart, metadataOf(multipart, {})).md5, undefined)
  })

  test('any of ETag, LastModified and size changes the token', () => {
    const token = changeTokenOf(facts)
    assert.notEqual(changeTokenOf({...facts, etag: '"other"'}), token)
    assert.notEqual(changeTokenOf({...facts, lastModified: new Date(1_710_000_001_000)}), token)
    assert.equal(changeTokenOf({...facts, lastModified: new Date(1_710_000_000_999)}), token, "whole seconds: a listing's milliseconds, a HEAD's HTTP date")
    assert.notEqual(changeTokenOf({...facts, size: 6}), token)
  })

  test('a directory keeps no mtime', () => {
    assert.deepEqual(dirEntry(), {type: 'dir', size: 0, mtimeNs: 0n, changeToken: 'dir'})
  })

  test('the metadata cache forgets its oldest record past its limit', () => {
    const cache = new MemoryMetadataCache(2)
    cache.set('a', {mtimeNs: 1n})
    cache.set('b', {mtimeNs: 2n})
    cache.set('a', {mtimeNs: 3n}) // refreshed: now the newest
    cache.set('c', {mtimeNs: 4n})
    assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c'), cache.size], [{mtimeNs: 3n}, undefined, {mtimeNs: 4n}, 2])
  })
})

describe('S3 capabilities', () => {
  test('declared as the module documents them', () => {
    assert.deepEqual({...S3_CAPABILITIES}, {
      mtimePrecisionNs: 1_000_000,
      modes: false,
      symlinks: false,
      emptyDirs: false,
      caseSensitive: true,
      freeHashes: ['md5'],
      cheapMove: false,
      atomicReplace: true,
    })
    assert.ok(isLimited(S3_CAPABILITIES), 'plan names an S3 root among the limited ones')
    assert.ok(Object.isFrozen(S3_CAPABILITIES) && Object.isFrozen(S3_CAPABILITIES.freeHashes))
  })
})
