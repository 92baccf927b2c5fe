import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {FULL_CAPABILITIES, type Capabilities} from '../../src/backend/capabilities.js'
import {capabilitiesFromRecord, capabilitiesRecordOf, type FilesystemKey} from '../../src/backend/local/capabilities-record.js'
import {capabilitiesOfFilesystemType} from '../../src/backend/local/filesystem-types.js'
import {mountContaining, parseMountInfo} from '../../src/backend/local/mount-info.js'
import {MTIME_STEPS_NS, PROBE_MTIME_NS, PROBE_MTIME_SECONDS, precisionOfReadBack} from '../../src/backend/local/mtime-precision.js'

/** The probe instant with its fraction replaced (seconds part kept). */
const SECOND = PROBE_MTIME_NS - (PROBE_MTIME_NS % 1_000_000_000n)
const at = (fractionNs: bigint, secondsOffset = 0n): bigint => SECOND + secondsOffset * 1_000_000_000n + fractionNs

describe('mtime precision from the value read back', () => {
  test('the probe instant is exactly a double, an odd second with a fraction under one half', () => {
    assert.equal(BigInt(Math.trunc(PROBE_MTIME_SECONDS)) * 1_000_000_000n + BigInt((PROBE_MTIME_SECONDS % 1) * 1e9), PROBE_MTIME_NS)
    assert.equal((SECOND / 1_000_000_000n) % 2n, 1n)
    assert.ok(PROBE_MTIME_NS - SECOND < 500_000_000n)
  })

  const rows: [string, bigint, number | undefined][] = [
    ['every nanosecond kept', PROBE_MTIME_NS, 1],
    ['the whole microseconds libuv sets, kept (ext4, tmpfs)', at(123_046_000n), 1],
    ['1 ms, truncated', at(123_000_000n), 1e6],
    ['10 ms, truncated (exFAT)', at(120_000_000n), 1e7],
    ['100 ms, truncated', at(100_000_000n), 1e8],
    ['1 s, truncated or rounded (mkfs.ext4 -I 128)', at(0n), 1e9],
    ['2 s, truncated (FAT)', at(0n, -1n), 2e9],
    ['2 s, rounded to the nearest (FAT)', at(0n, 1n), 2e9],
    ['always rounded up to 1 ms: no known rule', at(124_000_000n), undefined],
    ['the time ignored (the file kept its creation time)', 1_796_303_628_000_000_000n, undefined],
    ['a whole second before', at(123_046_875n, -1n), undefined],
  ]
  for (const [name, read, expected] of rows) {
    test(name, () => assert.equal(precisionOfReadBack(read), expected))
  }

  test('each step tried is told by its own truncation and rounding of the probe instant', () => {
    for (const step of MTIME_STEPS_NS) {
      const stepNs = BigInt(step)
      const down = PROBE_MTIME_NS - (PROBE_MTIME_NS % stepNs)
      const nearest = ((PROBE_MTIME_NS + stepNs / 2n) / stepNs) * stepNs
      assert.equal(precisionOfReadBack(down), step, `${step} ns truncated`)
      assert.equal(precisionOfReadBack(nearest), step, `${step} ns rounded`)
    }
  })

  test('an instant before 1970 is refused, naming it', () => {
    assert.throws(() => precisionOfReadBack(0n, -5n), /-5 ns/)
  })
})

describe('capabilities of a filesystem type (for roots that cannot be probed)', () => {
  const fat: Partial<Capabilities> = {mtimePrecisionNs: 2e9, modes: false, symlinks: false, caseSensitive: false}
  const exfat: Partial<Capabilities> = {mtimePrecisionNs: 1e7, modes: false, symlinks: false, caseSensitive: false}
  const rows: [string, Partial<Capabilities>][] = [
    ['vfat', fat],
    ['msdos', fat],
    ['fuse.fusefat', fat],
    ['exfat', exfat],
    ['fuseblk', exfat],
    ['ntfs3', {mtimePrecisionNs: 100, modes: false}],
    ['hfsplus', {mtimePrecisionNs: 1e9, caseSensitive: false}],
    ['squashfs', {mtimePrecisionNs: 1e9}],
    ['ext4', {}],
    ['tmpfs', {}],
    ['', {}],
  ]
  for (const [fsType, limits] of rows) {
    test(fsType || 'an unknown type', () => assert.deepEqual(capabilitiesOfFilesystemType(fsType), {...FULL_CAPABILITIES, ...limits}))
  }
})

describe('the mount holding a path, from mountinfo', () => {
  const text = [
    '26 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '44 26 0:39 / /tmp/fat\\040disk rw,nosuid,nodev,relatime shared:7 - fuse.fusefat fusefat rw,user_id=0',
    '45 26 7:0 / /mnt/a rw,relatime - ext4 /dev/loop0 rw',
    '46 45 7:1 / /mnt/a ro,relatime master:3 - vfat /dev/loop1 ro',
    'not a mountinfo line',
    '',
  ].join('\n')
  const mounts = parseMountInfo(text)

  test('reads every well-formed line, unescaping mount points and skipping optional fields', () => {
    assert.deepEqual(
      mounts.map((m) => [m.id, m.mountPoint, m.fsType, m.options[0]]),
      [
        [26, '/', 'ext4', 'rw'],
        [44, '/tmp/fat disk', 'fuse.fusefat', 'rw'],
        [45, '/mnt/a', 'ext4', 'rw'],
        [46, '/mnt/a', 'vfat', 'ro'],
      ],
    )
  })

  const rows: [string, string, number][] = [
    ['/', '/', 26],
    ['a file on the root filesystem', '/home/me/x', 26],
    ['a mount point with a space', '/tmp/fat disk', 44],
    ['below it', '/tmp/fat disk/sub/dir', 44],
    ['a sibling sharing its prefix', '/tmp/fat diskette', 26],
    ['the last of two mounts on one point (the visible one)', '/mnt/a/x', 46],
    ['a sibling of that point', '/mnt/ab', 26],
  ]
  for (const [name, path, id] of rows) {
    test(name, () => assert.equal(mountContaining(mounts, path)?.id, id))
  }
})

describe('a remembered probe (the capabilities cache record)', () => {
  const key: FilesystemKey = {root: '/data/replica', dev: 2049, fsType: 'vfat', mountId: 44}
  const found: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: 2e9, modes: false, symlinks: false, caseSensitive: false}
  const record = capabilitiesRecordOf(key, found)

  test('is read back for the same root and filesystem', () => {
    assert.deepEqual(capabilitiesFromRecord(record, key), found)
  })

  const others: [string, Partial<FilesystemKey>][] = [
    ['another device', {dev: 2050}],
    ['another filesystem type', {fsType: 'ext4'}],
    ['another mount', {mountId: 45}],
    ['another root', {root: '/data/other'}],
  ]
  for (const [name, change] of others) {
    test(`is not used for ${name}`, () => assert.equal(capabilitiesFromRecord(record, {...key, ...change}), undefined))
  }

  const edit = (change: (r: any) => void): string => {
    const r = JSON.parse(record)
    change(r)
    return JSON.stringify(r)
  }
  const broken: [string, string][] = [
    ['damaged JSON', record.slice(0, 40)],
    ['not an object', '[]'],
    ['another format version', edit((r) => (r.format = 'treesync-capabilities 2'))],
    ['a foreign file', JSON.stringify({...key, capabilities: found})],
    ['a missing field', edit((r) => delete r.capabilities.symlinks)],
    ['a field of the wrong kind', edit((r) => (r.capabilities.modes = 'no'))],
    ['a precision under 1 ns', edit((r) => (r.capabilities.mtimePrecisionNs = 0))],
    ['an unknown hash', edit((r) => (r.capabilities.freeHashes = ['sha1']))],
  ]
  for (const [name, text] of broken) {
    test(`is ignored when it is ${name}`, () => assert.equal(capabilitiesFromRecord(text, key), undefined))
  }

  test('keeps only the fields of Capabilities', () => {
    assert.deepEqual(
      capabilitiesFromRecord(
        edit((r) => (r.capabilities.extra = 1)),
        key,
      ),
      found,
    )
  })
})
