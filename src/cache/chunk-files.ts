import {createHash} from 'node:crypto'
import {readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {makeTempName} from '../tree/temp-name.js'

/**
 * Where a tree's hash cache lives: one small file per directory of the tree, so each
 * scanner thread reads and writes the records of the directories it scans, and only
 * directories whose records changed are rewritten. Every file starts with a header naming
 * the tree and the directory, so a file that is foreign or out of place is ignored.
 */

const HEADER = 'treesync-hash-cache 2'

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32)
}

/** The cache directory of one tree. */
export function treeCacheDir(cacheDir: string, root: string): string {
  return join(cacheDir, 'hashes', shortHash(root))
}

/** The file name of one directory's records inside its tree's cache directory. */
export function chunkFileName(dir: string): string {
  return `${shortHash(dir)}.tsv`
}

function headerOf(root: string, dir: string): string {
  return `${HEADER}\t${JSON.stringify(root)}\t${JSON.stringify(dir)}\n`
}

/**
 * The record lines stored for one directory ('' when there is no file). Throws an Error
 * saying what is wrong when the file is not this directory's (records are checked when
 * parsed).
 */
export function readChunk(treeDir: string, root: string, dir: string): string {
  let text: string
  try {
    text = readFileSync(join(treeDir, chunkFileName(dir)), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
  const header = headerOf(root, dir)
  if (text.startsWith(header)) return text.slice(header.length)
  if (!text.startsWith(HEADER + '\t')) throw new Error('not a treesync hash cache of this version')
  throw new Error('it belongs to another tree')
}

/** Stores one directory's records atomically (temporary file + rename); no records, no file. */
export function writeChunk(treeDir: string, root: string, dir: string, records: string): void {
  const file = join(treeDir, chunkFileName(dir))
  if (records === '') {
    try {
      unlinkSync(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    return
  }
  const temp = join(treeDir, makeTempName())
  try {
    writeFileSync(temp, headerOf(root, dir) + records)
    renameSync(temp, file)
  } catch (error) {
    try {
      unlinkSync(temp)
    } catch {
      // the temporary was never created
    }
    throw error
  }
}
