import assert from 'node:assert/strict'
import {mkdir, readdir, readFile, realpath, stat, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {FULL_CAPABILITIES, type Capabilities} from '../../src/backend/capabilities.js'
import {capabilitiesFileFor, localCapabilities} from '../../src/backend/local/local-capabilities.js'
import {readMountOf} from '../../src/backend/local/mount-info.js'
import {probeLocalCapabilities} from '../../src/backend/local/probe-capabilities.js'
import {imageForSuite, mountImageForTest} from '../helpers/filesystem-images.js'
import {tempDir} from '../helpers/temp-dir.js'
import {FIXED_MTIME_MS, setTime} from '../helpers/tree-builder.js'

const WHOLE_SECONDS: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: 1e9}
const FAT: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: 2e9, modes: false, symlinks: false, caseSensitive: false}

/** Filesystems that keep everything a probe can see. */
const KEEPS_EVERYTHING = new Set(['ext4', 'tmpfs', 'xfs', 'btrfs', 'overlay'])

/** A probe counter to pass as `onProbe`. */
function probeCounter(): {count: number; onProbe: () => void} {
  const counter = {count: 0, onProbe: () => void counter.count++}
  return counter
}

describe('probing a local root', () => {
  test('on the temporary directory, finds what its filesystem truly keeps', async (t) => {
    const root = await tempDir(t)
    const fsType = (await readMountOf(await realpath(root)))?.fsType ?? ''
    const found = await probeLocalCapabilities(root)
    t.diagnostic(`${fsType}: ${JSON.stringify(found)}`)
    if (KEEPS_EVERYTHING.has(fsType)) assert.deepEqual(found, FULL_CAPABILITIES)
    else assert.equal(typeof found.mtimePrecisionNs, 'number')
  })

  test('leaves nothing behind, and the root with the mtime it had', async (t) => {
    const root = await tempDir(t)
    await setTime(root, FIXED_MTIME_MS)
    const before = await stat(root, {bigint: true})
    await probeLocalCapabilities(root)
    assert.deepEqual(await readdir(root), [])
    assert.equal((await stat(root, {bigint: true})).mtimeNs, before.mtimeNs)
  })

  test('puts back a root mtime from before 1970', async (t) => {
    const root = await tempDir(t)
    // A string: Node sets "now" for a negative number of seconds.
    await utimes(root, '-86399.877', '-86399.877')
    const before = await stat(root, {bigint: true})
    assert.ok(before.mtimeNs < -86_399_000_000_000n)
    await probeLocalCapabilities(root)
    assert.equal((await stat(root, {bigint: true})).mtimeNs, before.mtimeNs)
  })

  test('a root not created yet is probed in its nearest existing ancestor, which it leaves as it was', async (t) => {
    const parent = await tempDir(t)
    const found = await probeLocalCapabilities(join(parent, 'not', 'yet'))
    assert.deepEqual(found, await probeLocalCapabilities(parent))
    assert.deepEqual(await readdir(parent), [])
  })

  test('a root that is a file is an error naming its path', async (t) => {
    const file = join(await tempDir(t), 'file')
    await writeFile(file, 'x')
    await assert.rejects(probeLocalCapabilities(file), (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR' && error.path!.startsWith(file))
  })
})

describe('probing an ext4 image made with -I 128', () => {
  const image = imageForSuite('ext4-128')

  test('finds whole-second mtimes, with modes, symlinks and case-distinct names', async (t) => {
    t.diagnostic(`mkfs and mount: ${JSON.stringify(image().timings)}`)
    assert.deepEqual(await probeLocalCapabilities(image().mountPoint), WHOLE_SECONDS)
    assert.deepEqual(await readdir(image().mountPoint), ['lost+found'])
  })

  test('finds the same in a folder of it, or below it where a replica is still to be made', async () => {
    const folder = join(image().mountPoint, 'replica')
    await mkdir(folder)
    assert.deepEqual(await probeLocalCapabilities(folder), WHOLE_SECONDS)
    assert.deepEqual(await probeLocalCapabilities(join(folder, 'new', 'replica')), WHOLE_SECONDS)
    assert.deepEqual(await readdir(folder), [])
  })
})

describe('probing a FAT image through fusefat', () => {
  const image = imageForSuite('fat')

  test('finds 2-second mtimes, no modes, no symlinks, names equal whatever their case', async (t) => {
    t.diagnostic(`mkfs and mount: ${JSON.stringify(image().timings)}`)
    assert.deepEqual(await probeLocalCapabilities(image().mountPoint), FAT)
    assert.deepEqual(await readdir(image().mountPoint), [])
  })
})

describe('a root that cannot be written', () => {
  test('on a read-only FAT mount, gets the FAT row of the filesystem-type table, without a probe', async (t) => {
    const image = await mountImageForTest(t, 'fat', {readOnly: true})
    const counter = probeCounter()
    assert.deepEqual(await probeLocalCapabilities(image.mountPoint, counter), FAT)
    assert.equal(counter.count, 0)
  })

  test('on a read-only ext4 -I 128 mount, gets the ext4 row: nanoseconds (the table cannot see the inode size)', async (t) => {
    const image = await mountImageForTest(t, 'ext4-128', {readOnly: true})
    assert.deepEqual(await probeLocalCapabilities(image.mountPoint), FULL_CAPABILITIES)
  })
})

describe('capabilities remembered in the cache directory', () => {
  async function scene(t: Parameters<typeof tempDir>[0]) {
    const dir = await tempDir(t)
    const probes = probeCounter()
    const s = {root: join(dir, 'root'), cacheDir: join(dir, 'cache'), probes, options: {cacheDir: join(dir, 'cache'), onProbe: probes.onProbe}}
    await mkdir(s.root)
    return s
  }

  test('the second run reads what the first probed, and probes nothing', async (t) => {
    const s = await scene(t)
    const first = await localCapabilities(s.root, s.options)
    const second = await localCapabilities(s.root, s.options)
    assert.equal(s.probes.count, 1)
    assert.deepEqual(second, first)
    assert.ok(await stat(capabilitiesFileFor(s.cacheDir, await realpath(s.root))))
  })

  test('without a cache directory (--no-cache), every run probes', async (t) => {
    const s = await scene(t)
    await localCapabilities(s.root, {onProbe: s.probes.onProbe})
    await localCapabilities(s.root, {onProbe: s.probes.onProbe})
    assert.equal(s.probes.count, 2)
  })

  test('a damaged record is probed again and replaced', async (t) => {
    const s = await scene(t)
    const first = await localCapabilities(s.root, s.options)
    const file = capabilitiesFileFor(s.cacheDir, await realpath(s.root))
    await writeFile(file, '{"format": "treesync-capa')
    assert.deepEqual(await localCapabilities(s.root, s.options), first)
    assert.equal(s.probes.count, 2)
    assert.equal(JSON.parse(await readFile(file, 'utf8')).format, 'treesync-capabilities 1')
  })

  test('a record made on another device is probed again', async (t) => {
    const s = await scene(t)
    await localCapabilities(s.root, s.options)
    const file = capabilitiesFileFor(s.cacheDir, await realpath(s.root))
    const record = JSON.parse(await readFile(file, 'utf8'))
    await writeFile(file, JSON.stringify({...record, dev: record.dev + 1, capabilities: FAT}))
    assert.deepEqual(await localCapabilities(s.root, s.options), await probeLocalCapabilities(s.root))
    assert.equal(s.probes.count, 2)
  })

  test('another disk mounted at the same path is probed again, each time it changes', async (t) => {
    const image = await mountImageForTest(t, 'fat')
    const cacheDir = join(await tempDir(t), 'cache')
    const counter = probeCounter()
    const options = {cacheDir, onProbe: counter.onProbe}
    await image.unmount()
    const bare = await localCapabilities(image.mountPoint, options)
    assert.notDeepEqual(bare, FAT)
    await image.mount()
    assert.deepEqual(await localCapabilities(image.mountPoint, options), FAT)
    assert.deepEqual(await localCapabilities(image.mountPoint, options), FAT)
    assert.equal(counter.count, 2)
    await image.unmount()
    assert.deepEqual(await localCapabilities(image.mountPoint, options), bare)
    assert.equal(counter.count, 3)
  })

  test('what a read-only root gets from its filesystem type is not remembered', async (t) => {
    const image = await mountImageForTest(t, 'fat', {readOnly: true})
    const cacheDir = join(await tempDir(t), 'cache')
    assert.deepEqual(await localCapabilities(image.mountPoint, {cacheDir}), FAT)
    await assert.rejects(stat(capabilitiesFileFor(cacheDir, image.mountPoint)), {code: 'ENOENT'})
  })

  test('a cache directory that cannot be written costs a probe, not the run', async (t) => {
    const s = await scene(t)
    await writeFile(s.cacheDir, 'a file where the cache directory should be')
    assert.deepEqual(await localCapabilities(s.root, s.options), await probeLocalCapabilities(s.root))
    assert.equal(await readFile(s.cacheDir, 'utf8'), 'a file where the cache directory should be')
  })
})
