import {FIXED_MTIME_MS, type EntrySpec} from '../helpers/tree-builder.js'

const MIB = 1024 * 1024
const DAY_MS = 86_400_000

/** `count` bytes of seeded pseudo-random data (so every file differs from every other). */
export function seededBytes(random: () => number, count: number): Buffer {
  const buf = Buffer.allocUnsafe(count)
  let i = 0
  for (; i + 4 <= count; i += 4) buf.writeUInt32LE(Math.floor(random() * 0x1_0000_0000), i)
  for (; i < count; i++) buf[i] = Math.floor(random() * 256)
  return buf
}

/** The trees of the crash test: what the source holds, the replica's old versions, a sentinel. */
export interface CrashScene {
  source: EntrySpec[]
  replica: EntrySpec[]
  sentinel: EntrySpec[]
}

const join = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`)

/**
 * 10–14 multi-MiB files (1–4 MiB) spread over the root and a nested directory, a few small
 * text files; a replica holding older versions of most of the same paths (other contents,
 * usually other sizes), some paths it lacks, and extra files and directories to delete.
 * All contents are random, so no old content equals a new one (no renames are planned).
 */
export function crashScene(random: () => number): CrashScene {
  const source: EntrySpec[] = []
  const replica: EntrySpec[] = []
  const dirs = ['', 'media', 'media/raw/2024']
  const bigCount = 10 + Math.floor(random() * 5)
  for (let i = 0; i < bigCount; i++) {
    const path = join(dirs[i % dirs.length]!, `big-${String(i).padStart(2, '0')}.bin`)
    const size = MIB + Math.floor(random() * 3 * MIB)
    source.push({path, type: 'file', content: seededBytes(random, size), mtimeMs: FIXED_MTIME_MS + i * 1000})
    const roll = random()
    if (i === 1 || roll < 0.12) continue // the replica lacks it: a create
    // Mostly another size; sometimes the same size with other bytes (an MD5-only difference).
    const oldSize = roll < 0.75 ? MIB / 2 + Math.floor(random() * 3.5 * MIB) : size
    replica.push({path, type: 'file', content: seededBytes(random, oldSize), mtimeMs: FIXED_MTIME_MS - DAY_MS + i})
  }
  for (let i = 0; i < 4; i++) {
    const path = join(i % 2 === 0 ? '' : 'media/notes', `note-${i}.txt`)
    source.push({path, type: 'file', content: `new note ${i}: ${seededBytes(random, 40).toString('hex')}\n`})
    if (i < 3) replica.push({path, type: 'file', content: `old note ${i}\n`, mtimeMs: FIXED_MTIME_MS - DAY_MS})
  }
  for (let i = 0; i < 3; i++) {
    replica.push({path: `old/extra-${i}.bin`, type: 'file', content: seededBytes(random, MIB / 2 + Math.floor(random() * 1.5 * MIB))})
  }
  replica.push({path: 'old/deeper/stale.txt', type: 'file', content: 'stale\n'})
  replica.push({path: 'stale.log', type: 'file', content: seededBytes(random, 300_000)})
  const sentinel: EntrySpec[] = [
    {path: 'keep.bin', type: 'file', content: seededBytes(random, 200_000)},
    {path: 'nested/keep.txt', type: 'file', content: 'must not change\n'},
    {path: 'link-to-nowhere', type: 'symlink', target: '../replica'},
  ]
  return {source, replica, sentinel}
}
