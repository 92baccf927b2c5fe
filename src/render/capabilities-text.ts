import {isLimited, type Capabilities, type RootCapabilities} from '../backend/capabilities.js'
import {quotePath} from './quote-path.js'

/** A precision in nanoseconds as people say it: `1 ns`, `10 ms`, `2 s`. */
export function formatPrecision(ns: number): string {
  const units: [number, string][] = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
  ]
  for (const [size, unit] of units) if (ns >= size) return `${Number((ns / size).toFixed(3))} ${unit}`
  return `${ns} ns`
}

/** What a limited root does not keep, as a list of short phrases (empty for a full POSIX root). */
export function capabilityLimits(c: Capabilities): string[] {
  const limits: string[] = []
  if (c.mtimePrecisionNs > 1) limits.push(`mtimes to ${formatPrecision(c.mtimePrecisionNs)}`)
  if (!c.modes) limits.push('no permission bits')
  if (!c.symlinks) limits.push('no symbolic links')
  // Empty folders still arrive (as marker objects on S3); what they lose is their own mtime.
  if (!c.emptyDirs) limits.push('no folder mtimes')
  if (!c.caseSensitive) limits.push('names ignore case')
  if (!c.cheapMove) limits.push('moves copy the data')
  if (!c.atomicReplace) limits.push('no atomic replace')
  return limits
}

/**
 * The lines a plan opens with when a root keeps less than a full POSIX filesystem, e.g.
 * `Replica /mnt/usb keeps: mtimes to 2 s, no permission bits, names ignore case.`
 */
export function renderCapabilities(roots: {source: string; replica: string}, capabilities: RootCapabilities | undefined): string[] {
  if (!capabilities) return []
  const sides: ['Source' | 'Replica', string, Capabilities][] = [
    ['Source', roots.source, capabilities.source],
    ['Replica', roots.replica, capabilities.replica],
  ]
  return sides.filter(([, , c]) => isLimited(c)).map(([side, root, c]) => `${side} ${quotePath(root)} keeps: ${capabilityLimits(c).join(', ')}.`)
}
