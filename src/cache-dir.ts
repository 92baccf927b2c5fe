import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * treesync's cache directory: `--cache-dir`, else `$XDG_CACHE_HOME/treesync`, else
 * `~/.cache/treesync` (the XDG base directory convention).
 */
export function cacheDirectory(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache')
  return join(base, 'treesync')
}
