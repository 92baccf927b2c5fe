import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'

import {hashFileSync, hashPairSync, ReadBuffers} from '../../src/backend/local/hash-sync.js'
import {listDirectory} from '../../src/backend/local/list-directory.js'
import {scanTree} from '../../src/scan/scan-tree.js'
import {tempDir} from '../helpers/temp-dir.js'
import {buildTree, FIXED_MTIME_MS} from '../helpers/tree-builder.js'

test('records type, size, mtime, mode and symlink targets, sorted depth-first', async (t) => {
  const root = await tempDir(t)
  await buildTree(root, [
    {path: 'a-b', type: 'file', content: 'xyz', mode: 0o600},
    {path: 'a/inner', type: 'file', content: '12345'},
    {path: 'link', type: 'symlink', target: 'a'},
  ])
  const manifest = await scanTree(root)
  assert.deepEqual(
    manifest.entries.map((e) => [e.path, e.type, e.size, e.mode, e.target ?? null]),
    [
      ['a', 'dir', 0, 0o755, null],
      ['a/inner', 'file', 5, 0o644, null],
      ['a-b', 'file', 3, 0o600, null],
      ['link', 'symlink', 1, 0, 'a'],
    ],
  )
  assert.ok(manifest.entries.every((e) => e.type === 'symlink' || e.mtimeMs === FIXED_MTIME_MS))
})

test('does not descend into a symlink to a directory', async (t) => {
  const root = await tempDir(t)
  await buildTree(root, [{path: 'real/file', type: 'file', content: 'x'}])
  await symlink('real', join(root, 'alias'))
  const paths = (await scanTree(root)).entries.map((e) => e.path)
  assert.deepEqual(paths, ['alias', 'real', 'real/file'])
})

test('skips FIFOs with a warning and goes on', async (t) => {
  const root = await tempDir(t)
  await buildTree(root, [{path: 'after', type: 'file', content: 'x'}])
  execFileSync('mkfifo', [join(root, 'pipe')])
  const manifest = await scanTree(root)
  assert.deepEqual(manifest.entries.map((e) => e.path), ['after'])
  assert.deepEqual(manifest.warnings, [{path: 'pipe', message: 'skipped: not a regular file, directory or symlink'}])
})

test('skips names that are not valid UTF-8 with a warning, instead of copying them mangled', async (t) => {
  const root = await tempDir(t)
  await writeFile(Buffer.concat([Buffer.from(root + '/bad-'), Buffer.from([0xff, 0xfe])]), 'x')
  await writeFile(join(root, 'good'), 'y')
  const manifest = await scanTree(root)
  assert.deepEqual(manifest.entries.map((e) => e.path), ['good'])
  assert.equal(manifest.warnings.length, 1)
  assert.match(manifest.warnings[0]!.message, /not valid UTF-8/)
})

test('a name that really contains U+FFFD is kept; only names whose bytes are not UTF-8 are skipped', async (t) => {
  const root = await tempDir(t)
  await writeFile(join(root, 'real-\uFFFD'), 'valid UTF-8')
  await writeFile(Buffer.concat([Buffer.from(root + '/bad-'), Buffer.from([0xff])]), 'x')
  const manifest = await scanTree(root)
  assert.deepEqual(manifest.entries.map((e) => e.path), ['real-\uFFFD'])
  assert.deepEqual(manifest.warnings, [{path: 'bad-\uFFFD', message: 'skipped: file name is not valid UTF-8'}])
})

test('keeps unicode names byte-exact: NFC and NFD forms are different entries', async (t) => {
  const root = await tempDir(t)
  await writeFile(join(root, 'caf\u00e9'), 'nfc')
  await writeFile(join(root, 'cafe\u0301'), 'nfd')
  const paths = (await scanTree(root)).entries.map((e) => e.path)
  assert.deepEqual(paths.sort(), ['caf\u00e9', 'cafe\u0301'].sort())
})

test('leaves out excluded paths and their contents', async (t) => {
  const root = await tempDir(t)
  await buildTree(root, [
    {path: 'keep/a', type: 'file', content: 'a'},
    {path: 'skip/b', type: 'file', content: 'b'},
  ])
  const manifest = await scanTree(root, {exclude: (path) => path === 'skip'})
  assert.deepEqual(manifest.entries.map((e) => e.path), ['keep', 'keep/a'])
})

test('listDirectory hands back the regular files `defer` accepts without stat\'ing them, and lists the rest as usual', async (t) => {
  const root = await tempDir(t)
  await buildTree(root, [
    {path: 'a.txt', type: 'file', content: 'a'},
    {path: 'b.txt', type: 'file', content: 'b'},
    {path: 'skip.log', type: 'file', content: 'excluded'},
    {path: '.treesync-0123456789abcdef.tmp', type: 'file', content: 'a temporary'},
    {path: 'sub/c.txt', type: 'file', content: 'c'},
    {path: 'link', type: 'symlink', target: 'a.txt'},
  ])
  execFileSync('mkfifo', [join(root, 'pipe')])
  const asked: string[] = []
  const listing = listDirectory(root, '', (path) => path.endsWith('.log'), (name) => {
    asked.push(name)
    return name !== 'b.txt'
  })
  assert.deepEqual(listing.deferred.map((d) => d.path), ['a.txt'])
  assert.deepEqual(asked.sort(), ['a.txt', 'b.txt'], 'only regular files that are neither temporaries nor excluded are offered')
  assert.deepEqual(listing.entries.map((e) => [e.path, e.type]), [['b.txt', 'file'], ['link', 'symlink'], ['sub', 'dir']])
  assert.deepEqual(listing.temporaries, ['.treesync-0123456789abcdef.tmp'])
  assert.deepEqual(listing.excluded.sort(), ['pipe', 'skip.log'])
})

test('hashes files with MD5 in chunks and records the bytes hashed', async (t) => {
  const root = await tempDir(t)
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7)
  await writeFile(join(root, 'big'), big)
  assert.deepEqual(hashFileSync(join(root, 'big'), new ReadBuffers()), {md5: md5(big), size: big.length})
})

test('a pair is hashed side by side: equal, differing at any chunk, or of different lengths, each side gets its own MD5', async (t) => {
  const root = await tempDir(t)
  const chunk = 1024 * 1024
  const base = Buffer.alloc(2 * chunk + 5, 3)
  const variants: Array<[string, Buffer]> = [
    ['equal', Buffer.from(base)],
    ['first byte', Buffer.concat([Buffer.from([9]), base.subarray(1)])],
    ['second chunk', Buffer.concat([base.subarray(0, chunk + 7), Buffer.from([9]), base.subarray(chunk + 8)])],
    ['last byte', Buffer.concat([base.subarray(0, base.length - 1), Buffer.from([9])])],
    ['shorter', base.subarray(0, chunk)],
    ['longer', Buffer.concat([base, Buffer.from('tail')])],
    ['empty', Buffer.alloc(0)],
  ]
  await writeFile(join(root, 'source'), base)
  const buffers = new ReadBuffers()
  for (const [name, bytes] of variants) {
    await writeFile(join(root, name), bytes)
    const pair = hashPairSync(join(root, 'source'), join(root, name), buffers)
    assert.deepEqual(pair, {source: {md5: md5(base), size: base.length}, replica: {md5: md5(bytes), size: bytes.length}}, name)
  }
  assert.throws(() => hashPairSync(join(root, 'source'), join(root, 'missing'), buffers), (error: Error & {side?: string}) => error.side === 'replica')
  assert.throws(() => hashPairSync(join(root, 'missing'), join(root, 'source'), buffers), (error: Error & {side?: string}) => error.side === 'source')
})

test('given the size lstat reported, hashing reads that much: a file that grew since is hashed up to it, one that shrank to its end', async (t) => {
  const root = await tempDir(t)
  const chunk = 1024 * 1024
  const bytes = Buffer.alloc(2 * chunk + 9, 5)
  bytes[chunk + 3] = 1
  await writeFile(join(root, 'f'), bytes)
  await writeFile(join(root, 'twin'), bytes)
  const buffers = new ReadBuffers()
  for (const limit of [0, 10, chunk, chunk + 4, bytes.length, bytes.length + 100]) {
    // A reported size of 0 is read to the end: procfs and some FUSE mounts report 0 for files with content.
    const seen = limit === 0 ? bytes : bytes.subarray(0, Math.min(limit, bytes.length))
    const expected = {md5: md5(seen), size: seen.length}
    assert.deepEqual(hashFileSync(join(root, 'f'), buffers, limit), expected, `file, limit ${limit}`)
    assert.deepEqual(hashPairSync(join(root, 'f'), join(root, 'twin'), buffers, limit), {source: expected, replica: expected}, `pair, limit ${limit}`)
  }
  const shorter = bytes.subarray(0, chunk + 1)
  await writeFile(join(root, 'twin'), shorter)
  assert.deepEqual(hashPairSync(join(root, 'f'), join(root, 'twin'), buffers, bytes.length), {
    source: {md5: md5(bytes), size: bytes.length},
    replica: {md5: md5(shorter), size: shorter.length},
  })
})

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex')
}

test('a missing root gives an empty manifest only when allowed', async (t) => {
  const root = await tempDir(t)
  const manifest = await scanTree(join(root, 'nope'), {allowMissing: true})
  assert.equal(manifest.exists, false)
  assert.deepEqual(manifest.entries, [])
  await assert.rejects(scanTree(join(root, 'nope')), /cannot read/)
})
