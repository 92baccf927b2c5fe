import type {Capabilities} from '../capabilities.js'

/**
 * What identifies the filesystem a probe ran on. A record is used only for the same key:
 * another disk mounted at the same path (another device, type or mount) is probed again.
 */
export interface FilesystemKey {
  /** The root's real path. */
  root: string
  /** `st_dev` of the probed directory. */
  dev: number
  /** The mount's filesystem type ('' where mounts cannot be read). */
  fsType: string
  /** The mount's id (null where mounts cannot be read). */
  mountId: number | null
}

/** First field of a record: anything else is foreign, or of another version, and is ignored. */
export const CAPABILITIES_RECORD_FORMAT = 'treesync-capabilities 1'

const FLAGS = ['modes', 'symlinks', 'emptyDirs', 'caseSensitive', 'cheapMove', 'atomicReplace'] as const

/** The JSON text of a capabilities record: a probe's result and the filesystem it ran on. */
export function capabilitiesRecordOf(key: FilesystemKey, capabilities: Capabilities): string {
  return JSON.stringify({format: CAPABILITIES_RECORD_FORMAT, ...key, capabilities}, null, 2) + '\n'
}

/** The capabilities in `value`, rebuilt field by field; undefined if any is missing or of the wrong kind. */
function capabilitiesIn(value: unknown): Capabilities | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const fields = value as Record<string, unknown>
  const precision = fields.mtimePrecisionNs
  if (typeof precision !== 'number' || !Number.isSafeInteger(precision) || precision < 1) return undefined
  if (!FLAGS.every((flag) => typeof fields[flag] === 'boolean')) return undefined
  const hashes = fields.freeHashes
  if (!Array.isArray(hashes) || !hashes.every((hash) => hash === 'md5')) return undefined
  const flags = Object.fromEntries(FLAGS.map((flag) => [flag, fields[flag] as boolean])) as Record<(typeof FLAGS)[number], boolean>
  return {mtimePrecisionNs: precision, ...flags, freeHashes: hashes as 'md5'[]}
}

/**
 * The capabilities a record's text holds for `key`; undefined when the text is not a
 * record of this format (damaged, foreign, another version) or was made for another
 * filesystem, another device or another root.
 */
export function capabilitiesFromRecord(text: string, key: FilesystemKey): Capabilities | undefined {
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof record !== 'object' || record === null) return undefined
  const fields = record as Record<string, unknown>
  if (fields.format !== CAPABILITIES_RECORD_FORMAT) return undefined
  if (fields.root !== key.root || fields.dev !== key.dev || fields.fsType !== key.fsType || fields.mountId !== key.mountId) return undefined
  return capabilitiesIn(fields.capabilities)
}
