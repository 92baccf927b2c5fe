import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, unlink, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {tempPathBeside} from '../../tree/temp-name.js'
import type {Capabilities} from '../capabilities.js'
import {capabilitiesFromRecord, capabilitiesRecordOf, type FilesystemKey} from './capabilities-record.js'
import {probeInDirectory, type ProbeOptions} from './probe-capabilities.js'
import {locateRoot} from './root-location.js'

/** Where capabilities are remembered, and how to probe when they are not. */
export interface LocalCapabilitiesOptions extends ProbeOptions {
  /** treesync's cache directory (the hash cache's); undefined (`--no-cache`) probes every time. */
  cacheDir?: string | undefined
}

/** The file that remembers the capabilities of a root (by its real path) in a cache directory. */
export function capabilitiesFileFor(cacheDir: string, realRoot: string): string {
  return join(cacheDir, 'capabilities', `${createHash('sha256').update(realRoot).digest('hex').slice(0, 32)}.json`)
}

/** The remembered capabilities, if the file holds a record for this very filesystem. */
async function readRecord(file: string, key: FilesystemKey): Promise<Capabilities | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : capabilitiesFromRecord(text, key)
}

/**
 * Writes a record atomically (temporary, then rename). A cache that cannot be written
 * only costs a probe next run, so failing here does not fail the sync.
 */
async function writeRecord(file: string, text: string): Promise<void> {
  const temporary = tempPathBeside(file)
  try {
    await mkdir(dirname(file), {recursive: true})
    await writeFile(temporary, text)
    await rename(temporary, file)
  } catch {
    await unlink(temporary).catch(() => undefined)
  }
}

/**
 * The capabilities of a local root: remembered in the cache directory for this root and
 * filesystem (same real path, device, filesystem type and mount), else probed (see
 * `probeLocalCapabilities`) and remembered. What a root that cannot be written gets from
 * its filesystem type is not remembered: it costs no probe, and the root may become
 * writable.
 */
export async function localCapabilities(root: string, options: LocalCapabilitiesOptions = {}): Promise<Capabilities> {
  const location = await locateRoot(root)
  const key: FilesystemKey = {
    root: location.realRoot,
    dev: location.dev,
    fsType: location.mount?.fsType ?? '',
    mountId: location.mount?.id ?? null,
  }
  const file = options.cacheDir === undefined ? undefined : capabilitiesFileFor(options.cacheDir, location.realRoot)
  const remembered = file && (await readRecord(file, key))
  if (remembered) return remembered
  const finding = await probeInDirectory(location.probeDir, key.fsType, options)
  if (file && finding.probed) await writeRecord(file, capabilitiesRecordOf(key, finding.capabilities))
  return finding.capabilities
}
