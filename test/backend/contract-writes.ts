import assert from 'node:assert/strict'
import {test} from 'node:test'

import {ABSENT} from '../../src/backend/backend.js'
import {isTempName} from '../../src/tree/temp-name.js'
import {assertMtime, contentOf, copyOf, expectedOf, openSubject, seed, snapshot, type BackendFactory} from './contract-support.js'

const LATER_MS = 1_710_000_000_000

/** Writes: atomic replace, directories, removal, moves, metadata, symlinks, containment. */
export function writeContract(open: BackendFactory): void {
  test('writeFile creates a file with its content and attributes, and replaces one that is as expected', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'d/f': 'old content'})
    const {from, attributes} = copyOf(s, 'd/f', 'new content', LATER_MS)
    await s.backend.writeFile('d/f', from, attributes, await expectedOf(s.backend, 'd/f'))
    assert.equal(await contentOf(s.backend, 'd/f'), 'new content')
    assertMtime(s.backend, await s.backend.stat('d/f'), LATER_MS, 'd/f')
    if (s.backend.capabilities.modes) assert.equal((await s.backend.stat('d/f'))?.mode, 0o640)
  })

  test('a reader never sees a partial file under the final name (create and replace)', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'old': 'the old file'})
    for (const [path, expected] of [['new', ABSENT], ['old', await expectedOf(s.backend, 'old')]] as const) {
      const {from, attributes} = copyOf(s, path, 'x'.repeat(100_000))
      let release = (): void => undefined
      const halfway = s.source.holdNextRead(50_000, new Promise<void>((resolve) => (release = resolve)))
      const writing = s.backend.writeFile(path, from, attributes, expected)
      await halfway
      if (expected === ABSENT) assert.equal(await s.backend.stat(path), undefined, `${path} is not there while it is written`)
      else assert.equal(await contentOf(s.backend, path), 'the old file', `${path} is the old file while it is written`)
      release()
      await writing
      assert.equal((await s.backend.stat(path))?.size, 100_000)
    }
  })

  test('a write whose source fails half-way leaves the old file and no temporary', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'f': 'the old file'})
    const before = await snapshot(s.backend)
    const {from, attributes} = copyOf(s, 'f', 'y'.repeat(10_000))
    void s.source.holdNextRead(5000, Promise.resolve(), true)
    await assert.rejects(s.backend.writeFile('f', from, attributes, await expectedOf(s.backend, 'f')))
    assert.deepEqual(await snapshot(s.backend), before)
    assert.deepEqual((await s.backend.list('')).filter((e) => isTempName(e.name)), [])
  })

  test('bytes that are not the planned ones (MD5, size) are refused and the old file stays', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'f': 'the old file'})
    const before = await snapshot(s.backend)
    const {from, attributes} = copyOf(s, 'f', 'planned bytes')
    s.source.put('f', 'other bytes!!') // same size, same mtime: only the MD5 tells
    await assert.rejects(s.backend.writeFile('f', from, attributes, await expectedOf(s.backend, 'f')), {code: 'PLAN_STALE', path: 'f'})
    s.source.put('f', 'longer than planned')
    await assert.rejects(s.backend.writeFile('f', {...from, expected: {mtimeMs: from.expected.mtimeMs}}, attributes, await expectedOf(s.backend, 'f')), {code: 'PLAN_STALE'})
    assert.deepEqual(await snapshot(s.backend), before)
  })

  test('a source file that is no longer as planned is not copied', async (t) => {
    const s = await openSubject(t, open)
    const {from, attributes} = copyOf(s, 'f', 'data')
    await assert.rejects(s.backend.writeFile('f', {...from, expected: {size: 4, mtimeMs: LATER_MS}}, attributes, ABSENT), {code: 'PLAN_STALE', path: 'f'})
    await assert.rejects(s.backend.writeFile('f', {...from, path: 'gone'}, attributes, ABSENT), {code: 'PLAN_STALE', path: 'f'})
    assert.equal(await s.backend.stat('f'), undefined)
  })

  test('copies from a backend of its own kind', async (t) => {
    const s = await openSubject(t, open)
    const peer = await openSubject(t, open)
    await seed(peer, {'f': 'from a peer'})
    const {attributes} = copyOf(s, 'f', 'from a peer')
    const planned = await expectedOf(peer.backend, 'f')
    await s.backend.writeFile('f', {backend: peer.backend, path: 'f', expected: {size: planned.size, mtimeMs: planned.mtimeMs!}}, attributes, ABSENT)
    assert.equal(await contentOf(s.backend, 'f'), 'from a peer')
  })

  test('mkdir and rmdir; a directory that is not empty is not removed', async (t) => {
    const s = await openSubject(t, open)
    await s.backend.mkdir('d')
    assert.equal((await s.backend.stat('d'))?.type, 'dir')
    await assert.rejects(s.backend.mkdir('d'), {code: 'PLAN_STALE', path: 'd'})
    await seed(s, {'d/f': 'x'})
    await assert.rejects(s.backend.rmdir('d'), {code: 'PLAN_STALE', path: 'd'})
    assert.equal(await contentOf(s.backend, 'd/f'), 'x')
    await assert.rejects(s.backend.rmdir('d/f'), {code: 'PLAN_STALE', path: 'd/f'}, 'a file is not a directory')
    await s.backend.remove('d/f', await expectedOf(s.backend, 'd/f'))
    await s.backend.rmdir('d')
    assert.equal(await s.backend.stat('d'), undefined)
  })

  test('remove and move act on the entry as expected', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'a': 'moved content', 'b': 'removed', 'sub/keep': 'k'})
    await s.backend.move('a', 'sub/a2', await expectedOf(s.backend, 'a'))
    assert.equal(await s.backend.stat('a'), undefined)
    assert.equal(await contentOf(s.backend, 'sub/a2'), 'moved content')
    await s.backend.remove('b', await expectedOf(s.backend, 'b'))
    assert.equal(await s.backend.stat('b'), undefined)
    await assert.rejects(s.backend.move('sub/a2', 'sub/keep', await expectedOf(s.backend, 'sub/a2')), {code: 'PLAN_STALE', path: 'sub/keep'})
    assert.equal(await contentOf(s.backend, 'sub/keep'), 'k')
  })

  test('setMetadata sets the mtime, and the mode where modes are kept, of files and directories', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'d/f': 'x'})
    const mode = s.backend.capabilities.modes ? 0o600 : undefined
    await s.backend.setMetadata('d/f', {mode, mtimeMs: LATER_MS}, await expectedOf(s.backend, 'd/f'))
    await s.backend.setMetadata('d', {mode: mode && 0o750, mtimeMs: LATER_MS})
    assertMtime(s.backend, await s.backend.stat('d/f'), LATER_MS, 'd/f')
    if (s.backend.capabilities.emptyDirs) assertMtime(s.backend, await s.backend.stat('d'), LATER_MS, 'd')
    if (mode) assert.deepEqual([(await s.backend.stat('d/f'))?.mode, (await s.backend.stat('d'))?.mode], [0o600, 0o750])
  })

  test('symlinks are created and replaced atomically (where the backend keeps symlinks)', async (t) => {
    const s = await openSubject(t, open)
    if (!s.backend.capabilities.symlinks) return t.skip('no symlinks on this backend')
    await s.backend.symlink('l', 'first', ABSENT)
    await s.backend.symlink('l', 'second', await expectedOf(s.backend, 'l'))
    assert.equal((await s.backend.stat('l'))?.target, 'second')
    await s.backend.remove('l', await expectedOf(s.backend, 'l'))
    assert.equal(await s.backend.stat('l'), undefined)
    assert.deepEqual((await s.backend.list('')).map((e) => e.name), [])
  })

  test('nothing is written, made or removed through a directory that is a symlink', async (t) => {
    const s = await openSubject(t, open)
    if (!s.backend.capabilities.symlinks) return t.skip('no symlinks on this backend')
    await seed(s, {'f': 'x'})
    await s.backend.symlink('loop', '.', ABSENT)
    const before = await snapshot(s.backend)
    const {from, attributes} = copyOf(s, 'loop/g', 'y')
    await assert.rejects(s.backend.writeFile('loop/g', from, attributes, ABSENT))
    await assert.rejects(s.backend.mkdir('loop/d'))
    await assert.rejects(s.backend.remove('loop/f', {type: 'file'}))
    await assert.rejects(s.backend.setMetadata('loop/f', {mtimeMs: LATER_MS}))
    await assert.rejects(s.backend.stat('loop/f'))
    assert.deepEqual(await snapshot(s.backend), before)
  })
}
