import assert from 'node:assert/strict'
import {test} from 'node:test'

import {ABSENT} from '../../src/backend/backend.js'
import {assertMtime, contentOf, md5Of, openSubject, seed, type BackendFactory} from './contract-support.js'
import {CONTRACT_MTIME_MS} from './memory-source.js'

/** Listing, stat, hash, reading and the capabilities a backend reports. */
export function readContract(open: BackendFactory): void {
  test('reports its capabilities as data', async (t) => {
    const {backend} = await openSubject(t, open)
    const c = backend.capabilities
    assert.ok(Number.isInteger(c.mtimePrecisionNs) && c.mtimePrecisionNs >= 1, 'mtime precision in whole nanoseconds')
    for (const flag of ['modes', 'symlinks', 'emptyDirs', 'caseSensitive', 'cheapMove', 'atomicReplace'] as const) assert.equal(typeof c[flag], 'boolean', flag)
    assert.ok(c.freeHashes.every((h) => h === 'md5'))
    assert.equal(typeof backend.root, 'string')
  })

  test('stat reports files and directories as written, and nothing where nothing is', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'d/f.txt': 'hello'})
    const file = await s.backend.stat('d/f.txt')
    assert.equal(file?.type, 'file')
    assert.equal(file.size, 5)
    assertMtime(s.backend, file, CONTRACT_MTIME_MS, 'd/f.txt')
    if (s.backend.capabilities.modes) assert.equal(file.mode, 0o640)
    assert.equal(typeof file.changeToken, 'string')
    assert.equal((await s.backend.stat('d'))?.type, 'dir')
    assert.equal((await s.backend.stat(''))?.type, 'dir', 'the root')
    assert.equal(await s.backend.stat('missing'), undefined)
    assert.equal(await s.backend.stat('missing/below'), undefined, 'under a missing directory')
  })

  test('a file replaced under the same name gets another change token', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'f': 'one'})
    const before = (await s.backend.stat('f'))!
    const path = 'f'
    s.source.put(path, 'two')
    await s.backend.writeFile(path, {backend: s.source, path, expected: {size: 3, mtimeMs: CONTRACT_MTIME_MS}}, {size: 3, md5: md5Of('two'), mtimeMs: CONTRACT_MTIME_MS}, {type: 'file', size: 3})
    const after = (await s.backend.stat('f'))!
    assert.equal(after.size, before.size)
    assert.notEqual(after.changeToken, before.changeToken)
  })

  test('list gives the entries of a directory with their names and types; a missing directory or a file is refused', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'a.txt': 'a', 'sub/b.txt': 'bb'})
    const root = (await s.backend.list('')).map((e) => [e.name, e.type, e.type === 'file' ? e.size : '-']).sort()
    assert.deepEqual(root, [['a.txt', 'file', 1], ['sub', 'dir', '-']])
    assert.deepEqual((await s.backend.list('sub')).map((e) => [e.name, e.size]), [['b.txt', 2]])
    await assert.rejects(s.backend.list('missing'))
    await assert.rejects(s.backend.list('a.txt'))
  })

  test('hash gives the MD5 of a file, or of its first bytes', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'f': 'hello world'})
    assert.deepEqual(await s.backend.hash('f'), {md5: md5Of('hello world'), size: 11})
    assert.deepEqual(await s.backend.hash('f', 5), {md5: md5Of('hello'), size: 5})
    const md5s = s.backend.capabilities.freeHashes.includes('md5')
    if (md5s) assert.equal((await s.backend.stat('f'))?.md5, md5Of('hello world'), 'a free MD5 is the content MD5')
  })

  test('openRead streams a file; a missing one is refused', async (t) => {
    const s = await openSubject(t, open)
    await seed(s, {'f': 'streamed bytes'})
    assert.equal(await contentOf(s.backend, 'f'), 'streamed bytes')
    await assert.rejects(s.backend.openRead('missing'))
  })

  test('symlinks are listed with their targets, never followed (where the backend keeps symlinks)', async (t) => {
    const s = await openSubject(t, open)
    if (!s.backend.capabilities.symlinks) return t.skip('no symlinks on this backend')
    await seed(s, {'f': 'x'})
    await s.backend.symlink('l', 'f', ABSENT)
    await s.backend.symlink('dangling', 'nowhere/at/all', ABSENT)
    assert.deepEqual(await s.backend.stat('l').then((e) => [e?.type, e?.target]), ['symlink', 'f'])
    const listed = (await s.backend.list('')).filter((e) => e.type === 'symlink').map((e) => [e.name, e.target]).sort()
    assert.deepEqual(listed, [['dangling', 'nowhere/at/all'], ['l', 'f']])
    await assert.rejects(s.backend.hash('l'), 'a symlink is not hashed through')
  })
}
