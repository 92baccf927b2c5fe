import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import fc from 'fast-check'

import {formatRootSpec, parseRootSpec, type RootSpec} from '../../src/index.js'

/** Text as given, the spec it names, and its canonical text. */
const VALID: Array<[string, RootSpec, string]> = [
  // Local folders: a slash before any colon, or no colon at all.
  ['photos', {kind: 'local', path: 'photos'}, 'photos'],
  ['/mnt/backup/photos', {kind: 'local', path: '/mnt/backup/photos'}, '/mnt/backup/photos'],
  ['./a:b', {kind: 'local', path: './a:b'}, './a:b'],
  ['./user@host:backup', {kind: 'local', path: './user@host:backup'}, './user@host:backup'],
  ['/srv/a:b/c', {kind: 'local', path: '/srv/a:b/c'}, '/srv/a:b/c'],
  ['../up', {kind: 'local', path: '../up'}, '../up'],
  ['.', {kind: 'local', path: '.'}, '.'],
  ['dir/with space', {kind: 'local', path: 'dir/with space'}, 'dir/with space'],
  ['a@b', {kind: 'local', path: 'a@b'}, 'a@b'],
  // rsync/scp style: a colon before the first slash.
  ['backup@nas:/volume1/photos', {kind: 'sftp', user: 'backup', host: 'nas', path: '/volume1/photos'}, 'sftp://backup@nas/volume1/photos'],
  ['nas:/volume1/photos/', {kind: 'sftp', host: 'nas', path: '/volume1/photos'}, 'sftp://nas/volume1/photos'],
  ['nas:photos', {kind: 'sftp', host: 'nas', path: 'photos'}, 'sftp://nas/~/photos'],
  ['nas:', {kind: 'sftp', host: 'nas', path: ''}, 'sftp://nas/~'],
  ['nas:~', {kind: 'sftp', host: 'nas', path: ''}, 'sftp://nas/~'],
  ['nas:~/photos', {kind: 'sftp', host: 'nas', path: 'photos'}, 'sftp://nas/~/photos'],
  ['nas:./a//b/.', {kind: 'sftp', host: 'nas', path: 'a/b'}, 'sftp://nas/~/a/b'],
  ['nas:../shared', {kind: 'sftp', host: 'nas', path: '../shared'}, 'sftp://nas/~/../shared'],
  ['nas:/', {kind: 'sftp', host: 'nas', path: '/'}, 'sftp://nas/'],
  ['a:b', {kind: 'sftp', host: 'a', path: 'b'}, 'sftp://a/~/b'],
  ['me@corp.example@nas:/x', {kind: 'sftp', user: 'me@corp.example', host: 'nas', path: '/x'}, 'sftp://me%40corp.example@nas/x'],
  ['[::1]:/backup', {kind: 'sftp', host: '::1', path: '/backup'}, 'sftp://[::1]/backup'],
  ['u@[fe80::1%eth0]:b', {kind: 'sftp', user: 'u', host: 'fe80::1%eth0', path: 'b'}, 'sftp://u@[fe80::1%eth0]/~/b'],
  ['10.0.0.2:/data', {kind: 'sftp', host: '10.0.0.2', path: '/data'}, 'sftp://10.0.0.2/data'],
  ['nas:/My Photos/2024', {kind: 'sftp', host: 'nas', path: '/My Photos/2024'}, 'sftp://nas/My%20Photos/2024'],
  ['nas:/~', {kind: 'sftp', host: 'nas', path: '/~'}, 'sftp://nas/%7E'],
  // sftp:// URLs.
  ['sftp://backup@nas:2222/volume1/photos', {kind: 'sftp', user: 'backup', host: 'nas', port: 2222, path: '/volume1/photos'}, 'sftp://backup@nas:2222/volume1/photos'],
  ['SFTP://nas/x/', {kind: 'sftp', host: 'nas', path: '/x'}, 'sftp://nas/x'],
  ['sftp://nas/', {kind: 'sftp', host: 'nas', path: '/'}, 'sftp://nas/'],
  ['sftp://nas/~/photos', {kind: 'sftp', host: 'nas', path: 'photos'}, 'sftp://nas/~/photos'],
  ['sftp://nas/~', {kind: 'sftp', host: 'nas', path: ''}, 'sftp://nas/~'],
  ['sftp://nas/%7E/x', {kind: 'sftp', host: 'nas', path: '/~/x'}, 'sftp://nas/%7E/x'],
  ['sftp://nas/My%20Photos', {kind: 'sftp', host: 'nas', path: '/My Photos'}, 'sftp://nas/My%20Photos'],
  ['sftp://nas/caf%C3%A9', {kind: 'sftp', host: 'nas', path: '/café'}, 'sftp://nas/caf%C3%A9'],
  ['sftp://[2001:db8::7]:22/srv', {kind: 'sftp', host: '2001:db8::7', port: 22, path: '/srv'}, 'sftp://[2001:db8::7]:22/srv'],
  ['sftp://a%40b@nas/x', {kind: 'sftp', user: 'a@b', host: 'nas', path: '/x'}, 'sftp://a%40b@nas/x'],
  // s3:// URLs.
  ['s3://photos', {kind: 's3', bucket: 'photos', prefix: ''}, 's3://photos'],
  ['s3://photos/', {kind: 's3', bucket: 'photos', prefix: ''}, 's3://photos'],
  ['s3://my.bucket-1/2024/summer/', {kind: 's3', bucket: 'my.bucket-1', prefix: '2024/summer'}, 's3://my.bucket-1/2024/summer'],
  ['S3://abc/a b%20c', {kind: 's3', bucket: 'abc', prefix: 'a b%20c'}, 's3://abc/a b%20c'],
]

/** Malformed text, and what the one-line message says about it. */
const MALFORMED: Array<[string, RegExp]> = [
  ['', /is empty/],
  ['a\u0000b', /NUL/],
  [':photos', /the host is missing \(for a local path, write \.\/:photos\)/],
  ['@nas:/x', /user name before "@" is empty/],
  ['-oProxyCommand=evil:/x', /is not a host name/],
  ['nas::module', /rsync daemon/],
  ['nas:~ann/x', /~USER paths are not supported/],
  ['[::1:/x', /no closing \]/],
  ['[::1]x:/y', /":" must follow the IPv6 address/],
  ['[nas]:/x', /\[nas\] is not an IPv6 address/],
  ['sftp://nas', /needs a path after the host/],
  ['sftp:///x', /the host is missing/],
  ['sftp://@nas/x', /user name before "@" is empty/],
  ['sftp://u:secret@nas/x', /a password does not belong in a root/],
  ['sftp://nas:/x', /the port "" is not a number from 1 to 65535/],
  ['sftp://nas:0/x', /port "0"/],
  ['sftp://nas:65536/x', /port "65536"/],
  ['sftp://nas:22a/x', /port "22a"/],
  ['sftp://nas:-1/x', /port "-1"/],
  ['sftp://[::1/x', /no closing \]/],
  ['sftp://[::1]2/x', /must follow the IPv6 address/],
  ['sftp://na me/x', /is not a host name/],
  ['sftp://nas/%zz', /malformed %-escape/],
  ['sftp://nas/a%00b', /NUL|not valid/],
  ['sftp://nas/~//abs', /cannot be absolute/],
  ['s3://', /bucket name is missing/],
  ['s3:///prefix', /bucket name is missing/],
  ['s3://ab', /is not a bucket name/],
  ['s3://Photos', /is not a bucket name/],
  ['s3://my_bucket', /is not a bucket name/],
  ['s3://-bucket', /is not a bucket name/],
  ['s3://bucket-', /is not a bucket name/],
  ['s3://a..b', /is not a bucket name/],
  ['s3://192.168.0.1', /is not a bucket name/],
  ['s3://' + 'a'.repeat(64), /is not a bucket name/],
  ['s3://user@bucket/x', /is not a bucket name/],
  ['s3://bucket/a//b', /empty, "\." or "\.\." segment/],
  ['s3://bucket/../b', /empty, "\." or "\.\." segment/],
  ['s3://bucket/a/\ud800', /not valid Unicode/],
  ['ftp://host/x', /ftp:\/\/ is not a kind of root treesync knows/],
  ['file:///tmp/x', /file:\/\/ is not a kind of root/],
]

describe('parseRootSpec reads every form of root', () => {
  for (const [text, spec, canonical] of VALID) {
    test(`${JSON.stringify(text)} is ${spec.kind}, written ${canonical}`, () => {
      assert.deepEqual(parseRootSpec(text), spec)
      assert.equal(formatRootSpec(spec), canonical)
    })
  }
})

describe('a malformed root is one line naming the argument', () => {
  for (const [text, message] of MALFORMED) {
    test(`${JSON.stringify(text).slice(0, 40)}: ${message.source}`, () => {
      assert.throws(() => parseRootSpec(text, 'REPLICA'), (error: Error & {code?: string; path?: string}) => {
        assert.equal(error.code, 'BAD_ROOT')
        assert.equal(error.path, text)
        assert.match(error.message, /^REPLICA .* is not a valid root: /)
        assert.match(error.message, message)
        assert.ok(!error.message.includes('\n'), 'one line')
        return true
      })
    })
  }
})

describe('canonical text round-trips', () => {
  test('every canonical text parses back to its spec, and formats to itself', () => {
    for (const [, spec, canonical] of VALID) {
      assert.deepEqual(parseRootSpec(canonical), spec, canonical)
      assert.equal(formatRootSpec(parseRootSpec(canonical)), canonical)
    }
  })

  test('a local path that would read as remote is written with ./ in front', () => {
    for (const path of ['a:b', 'user@host:backup', 'sftp://x', '[::1]:x', 'x::y']) {
      const text = formatRootSpec({kind: 'local', path})
      assert.equal(text, `./${path}`)
      assert.deepEqual(parseRootSpec(text), {kind: 'local', path: `./${path}`})
    }
  })

  test('property: any SFTP or S3 spec formats to a text that parses back to it', () => {
    const segment = fc
      .string({minLength: 1, maxLength: 8, unit: 'binary'})
      .filter((s) => !s.includes('/') && !s.includes('\0') && s !== '.' && s !== '..' && !/\p{Surrogate}/u.test(s))
    const path = fc.array(segment, {maxLength: 4}).map((s) => s.join('/'))
    const sftp = fc.record(
      {
        kind: fc.constant('sftp' as const),
        user: fc.stringMatching(/^[a-z_][a-z0-9@._-]{0,10}$/),
        host: fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6()),
        port: fc.integer({min: 1, max: 65535}),
        path: fc.oneof(path, path.map((p) => `/${p}`)),
      },
      {requiredKeys: ['kind', 'host', 'path']},
    )
    const s3 = fc.record({kind: fc.constant('s3' as const), bucket: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/), prefix: path})
    fc.assert(
      fc.property(fc.oneof(sftp, s3), (spec) => {
        const text = formatRootSpec(spec)
        assert.deepEqual(parseRootSpec(text), {...spec}, text)
      }),
    )
  })
})
