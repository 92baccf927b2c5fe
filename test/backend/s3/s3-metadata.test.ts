import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {describe, test} from 'node:test'

import fc from 'fast-check'

import {decodeMd5Metadata, decodeMtime, encodeMd5Metadata, encodeMtime, freeMd5Of, objectMetadata, parseEtag} from '../../../src/backend/s3/s3-metadata.js'

const MD5_HELLO = createHash('md5').update('hello').digest('hex')

describe('S3 mtime metadata (rclone encoding)', () => {
  test('encodes whole milliseconds as seconds with nine fraction digits, as rclone writes them', () => {
    assert.equal(encodeMtime(1_704_164_644_000), '1704164644.000000000')
    assert.equal(encodeMtime(1_704_164_644_123), '1704164644.123000000')
    assert.equal(encodeMtime(0), '0.000000000')
  })

  test('times before 1970 keep a forward fraction under seconds rounded down', () => {
    assert.equal(encodeMtime(-1), '-1.999000000')
    assert.equal(encodeMtime(-11_500), '-12.500000000')
    assert.equal(decodeMtime('-12.500000000'), -11_500_000_000n)
  })

  test('decodes what rclone writes to the nanosecond, without float rounding', () => {
    assert.equal(decodeMtime('1704164644.123456789'), 1_704_164_644_123_456_789n)
    assert.equal(decodeMtime('1704164644.5'), 1_704_164_644_500_000_000n)
    assert.equal(decodeMtime('1704164644'), 1_704_164_644_000_000_000n)
    assert.equal(decodeMtime(' 1704164644.1 '), 1_704_164_644_100_000_000n)
    assert.equal(decodeMtime('1704164644.1234567891234'), 1_704_164_644_123_456_789n, 'digits past nanoseconds dropped')
  })

  test('anything else is no mtime', () => {
    for (const bad of [undefined, '', 'yesterday', '1.2.3', '1e9', '0x10', '.5', '5.', '2024-01-02T03:04:05Z']) assert.equal(decodeMtime(bad), undefined, String(bad))
  })

  test('every whole-millisecond time round-trips', () => {
    fc.assert(
      fc.property(fc.integer({min: -8_640_000_000_000, max: 8_640_000_000_000}), (ms) => decodeMtime(encodeMtime(ms)) === BigInt(ms) * 1_000_000n),
    )
  })

  test('a fraction of a millisecond is refused: plans keep whole milliseconds', () => {
    assert.throws(() => encodeMtime(1.5), TypeError)
  })
})

describe('S3 ETags and md5chksum', () => {
  test('a single-part ETag is the content MD5, quoted or not, in any case', () => {
    assert.deepEqual(parseEtag(`"${MD5_HELLO}"`), {md5: MD5_HELLO})
    assert.deepEqual(parseEtag(MD5_HELLO.toUpperCase()), {md5: MD5_HELLO})
    assert.deepEqual(parseEtag(`W/"${MD5_HELLO}"`), {md5: MD5_HELLO})
  })

  test('a multipart ETag gives its part count and no MD5', () => {
    assert.deepEqual(parseEtag(`"${MD5_HELLO}-3"`), {parts: 3})
    assert.deepEqual(parseEtag(`"${MD5_HELLO}-10000"`), {parts: 10000})
  })

  test('other ETags give nothing', () => {
    for (const etag of [undefined, '', '""', '"abc"', `"${MD5_HELLO}-"`, `"${MD5_HELLO}x"`, `"${MD5_HELLO}-3-4"`]) assert.deepEqual(parseEtag(etag), {}, String(etag))
  })

  test('md5chksum is the base64 of the digest, and decodes back', () => {
    const base64 = createHash('md5').update('hello').digest('base64')
    assert.equal(encodeMd5Metadata(MD5_HELLO), base64)
    assert.equal(decodeMd5Metadata(base64), MD5_HELLO)
    for (const bad of [undefined, '', 'not base64!', Buffer.from('short').toString('base64'), MD5_HELLO]) assert.equal(decodeMd5Metadata(bad), undefined, String(bad))
    assert.throws(() => encodeMd5Metadata('xyz'), TypeError)
  })

  test('the free MD5: the single-part ETag first, else md5chksum, else none', () => {
    const other = createHash('md5').update('other').digest()
    assert.equal(freeMd5Of(`"${MD5_HELLO}"`, {md5chksum: other.toString('base64')}), MD5_HELLO)
    assert.equal(freeMd5Of(`"${MD5_HELLO}-2"`, {md5chksum: other.toString('base64')}), other.toString('hex'))
    assert.equal(freeMd5Of(`"${MD5_HELLO}-2"`), undefined, 'a listing has no metadata')
    assert.equal(freeMd5Of(`"${MD5_HELLO}-2"`, {}), undefined)
  })

  test('objects get mtime always, md5chksum only for multipart uploads', () => {
    assert.deepEqual(objectMetadata(1_704_164_644_000), {mtime: '1704164644.000000000'})
    assert.deepEqual(objectMetadata(1_704_164_644_000, MD5_HELLO), {mtime: '1704164644.000000000', md5chksum: encodeMd5Metadata(MD5_HELLO)})
  })
})
