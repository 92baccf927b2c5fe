import type {Capabilities, RootCapabilities} from '../backend/capabilities.js'
import {formatRootSpec, parseRootSpec} from '../backend/root-spec.js'
import {isTreesyncError} from '../errors.js'
import {absolutePath, boolean, count, Invalid, object, oneOf, string, type Json} from './json-fields.js'

/** The plan-file versions this treesync reads: 1 (local roots only) and 2 (root specs, entry counts, capabilities). */
export const READABLE_VERSIONS = [1, 2] as const

/** A version this treesync reads. */
export type ReadableVersion = (typeof READABLE_VERSIONS)[number]

/** A day: no root keeps mtimes more coarsely (FAT's 2 s is the coarsest in use). */
const MAX_PRECISION_NS = 86_400e9

/** The plan's version, when it is one this treesync reads. */
export function readableVersion(plan: Json): ReadableVersion {
  if (!(READABLE_VERSIONS as readonly unknown[]).includes(plan.version)) {
    throw new Invalid(`version ${JSON.stringify(plan.version)} is not supported (this treesync reads versions ${READABLE_VERSIONS.join(' and ')})`)
  }
  return plan.version as ReadableVersion
}

/**
 * A root as a plan names it. Version 1: an absolute local path. Version 2: a root spec in
 * its canonical text, a local one absolute and normalised (as treesync writes them), so
 * one root has one spelling and a plan names exactly what it was made for.
 */
export function rootText(value: unknown, at: 'source' | 'replica', version: ReadableVersion): string {
  if (version === 1) return absolutePath(value, at)
  const text = string(value, at)
  let canonical: string
  try {
    const spec = parseRootSpec(text, at)
    if (spec.kind === 'local') return absolutePath(text, at)
    canonical = formatRootSpec(spec)
  } catch (error) {
    if (isTreesyncError(error) && error.code === 'BAD_ROOT') throw new Invalid(error.message)
    throw error
  }
  if (canonical !== text) throw new Invalid(`${at} ${JSON.stringify(text)} is not written as treesync writes it (${JSON.stringify(canonical)})`)
  return text
}

/**
 * How many entries each root held when planned (the empty-source guard's inputs).
 * Version 2 carries them as `entries`; version 1 had `replicaEntries`/`sourceEntries`,
 * and older or hand-made plans lack them: then the operations are all we know of.
 */
export function entryCounts(plan: Json, version: ReadableVersion, removals: number, kept: number): {source: number; replica: number} {
  if (version === 2) {
    const entries = object(plan.entries, 'entries')
    return {source: count(entries.source, 'entries.source'), replica: count(entries.replica, 'entries.replica')}
  }
  return {
    source: plan.sourceEntries === undefined ? kept : count(plan.sourceEntries, 'sourceEntries'),
    replica: plan.replicaEntries === undefined ? removals : count(plan.replicaEntries, 'replicaEntries'),
  }
}

/** What each root could keep, as planned with: optional, and every field checked when present. */
export function rootCapabilities(value: unknown): RootCapabilities | undefined {
  if (value === undefined) return undefined
  const both = object(value, 'capabilities')
  return {source: capabilities(both.source, 'capabilities.source'), replica: capabilities(both.replica, 'capabilities.replica')}
}

function capabilities(value: unknown, at: string): Capabilities {
  const c = object(value, at)
  const precision = c.mtimePrecisionNs
  if (!Number.isSafeInteger(precision) || (precision as number) < 1 || (precision as number) > MAX_PRECISION_NS) {
    throw new Invalid(`${at}.mtimePrecisionNs is not a whole number of nanoseconds from 1 to a day`)
  }
  if (!Array.isArray(c.freeHashes)) throw new Invalid(`${at}.freeHashes is not a list`)
  const freeHashes = c.freeHashes.map((h, i) => oneOf(h, ['md5'] as const, `${at}.freeHashes[${i}]`))
  if (new Set(freeHashes).size !== freeHashes.length) throw new Invalid(`${at}.freeHashes names a hash twice`)
  return {
    mtimePrecisionNs: precision as number,
    modes: boolean(c.modes, `${at}.modes`),
    symlinks: boolean(c.symlinks, `${at}.symlinks`),
    emptyDirs: boolean(c.emptyDirs, `${at}.emptyDirs`),
    caseSensitive: boolean(c.caseSensitive, `${at}.caseSensitive`),
    freeHashes,
    cheapMove: boolean(c.cheapMove, `${at}.cheapMove`),
    atomicReplace: boolean(c.atomicReplace, `${at}.atomicReplace`),
  }
}
