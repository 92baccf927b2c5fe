import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import type {TestContext} from 'node:test'

import {ABSENT, type Backend, type BackendEntry, type ExpectedEntry, type SourceFile, type WriteAttributes} from '../../src/backend/backend.js'
import {mtimeMsOf} from '../../src/backend/preconditions.js'
import {joinPath, parentPath} from '../../src/tree/paths.js'
import {CONTRACT_MTIME_MS, MemorySource} from './memory-source.js'

/** Opens the backend under test on a fresh, empty root (the suite closes it). */
export type BackendFactory = (t: TestContext) => Promise<Backend>

/** A backend under test and the in-memory tree it copies from. */
export interface Subject {
  backend: Backend
  source: MemorySource
}

/** Opens a subject for one test; its backend is closed when the test ends. */
export async function openSubject(t: TestContext, open: BackendFactory): Promise<Subject> {
  const backend = await open(t)
  t.after(() => backend.close())
  return {backend, source: new MemorySource()}
}

/** The source file and attributes that copy `content` from the memory source to `path`. */
export function copyOf(s: Subject, path: string, content: string, mtimeMs = CONTRACT_MTIME_MS): {from: SourceFile; attributes: WriteAttributes} {
  s.source.put(path, content, mtimeMs)
  const size = Buffer.byteLength(content)
  return {
    from: {backend: s.source, path, expected: {size, mtimeMs}},
    attributes: {size, md5: md5Of(content), mode: s.backend.capabilities.modes ? 0o640 : undefined, mtimeMs},
  }
}

/** Writes files (and their directories) through the backend, as apply would create them. */
export async function seed(s: Subject, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await makeParents(s.backend, path)
    const {from, attributes} = copyOf(s, path, content)
    await s.backend.writeFile(path, from, attributes, ABSENT)
  }
}

async function makeParents(backend: Backend, path: string): Promise<void> {
  const dirs: string[] = []
  for (let dir = parentPath(path); dir !== ''; dir = parentPath(dir)) dirs.unshift(dir)
  for (const dir of dirs) if ((await backend.stat(dir)) === undefined) await backend.mkdir(dir)
}

/** The state a plan would record of an entry found now. */
export async function expectedOf(backend: Backend, path: string): Promise<ExpectedEntry> {
  const entry = await backend.stat(path)
  assert.ok(entry && entry.type !== 'other', `${path} exists`)
  return {type: entry.type, size: entry.type === 'file' ? entry.size : undefined, mtimeMs: mtimeMsOf(entry), target: entry.target}
}

/** A file's content, read through the backend. */
export async function contentOf(backend: Backend, path: string): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of await backend.openRead(path)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Every entry of the tree with what identifies it (content for files): to prove nothing changed. */
export async function snapshot(backend: Backend, dir = ''): Promise<string[]> {
  const lines: string[] = []
  for (const entry of await backend.list(dir)) {
    const path = joinPath(dir, entry.name)
    const what = entry.type === 'file' ? `${entry.size} ${(await backend.hash(path)).md5}` : (entry.target ?? '')
    lines.push(`${path} ${entry.type} ${entry.mtimeNs} ${entry.mode ?? '-'} ${what}`)
    if (entry.type === 'dir') lines.push(...(await snapshot(backend, path)))
  }
  return lines.sort()
}

/** Asserts an entry's mtime is `mtimeMs` at the backend's precision (whole ms at best: plans keep ms). */
export function assertMtime(backend: Backend, entry: BackendEntry | undefined, mtimeMs: number, what: string): void {
  assert.ok(entry, `${what} exists`)
  const off = Math.abs(mtimeMsOf(entry) - mtimeMs) * 1e6
  assert.ok(off < Math.max(backend.capabilities.mtimePrecisionNs, 1e6), `${what}: mtime ${mtimeMsOf(entry)} ms, wanted ${mtimeMs} ms`)
}

/** Hex MD5 of a string. */
export function md5Of(content: string): string {
  return createHash('md5').update(content).digest('hex')
}
