import type {Plan} from '../../src/index.js'

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e'

/** A valid plan with one operation of each kind. */
export function samplePlan(): Plan {
  return {
    format: 'treesync-plan',
    version: 2,
    source: '/srv/source',
    replica: '/srv/replica',
    createdAt: '2026-11-24T10:15:02.123Z',
    compare: 'md5',
    operations: [
      {op: 'mkdir', path: 'docs', reason: 'missing', mode: 0o755, mtimeMs: 1},
      {op: 'create', path: 'docs/a.txt', type: 'file', size: 0, md5: MD5, mode: 0o644, mtimeMs: 2, reason: 'missing'},
      {op: 'create', path: 'link', type: 'symlink', target: 'docs', reason: 'missing'},
      {op: 'update', path: 'b.bin', type: 'file', size: 0, md5: MD5, mode: 0o644, mtimeMs: 3, reason: 'content', replica: {type: 'file', size: 4, mtimeMs: 1}},
      {op: 'meta', path: 'c.txt', type: 'file', reason: 'mtime', mode: 0o644, mtimeMs: 4, replica: {type: 'file', size: 1, mtimeMs: 1}},
      {op: 'rename', from: 'old/n.txt', path: 'new.txt', type: 'file', reason: 'moved', size: 0, md5: MD5, mode: 0o644, mtimeMs: 5, replica: {type: 'file', size: 0, mtimeMs: 1, md5: MD5}},
      {op: 'delete', path: 'stale.log', type: 'file', reason: 'extra', replica: {type: 'file', size: 3, mtimeMs: 1}},
      {op: 'rmdir', path: 'old', reason: 'extra', replica: {type: 'dir', mtimeMs: 1, mode: 0o755}},
    ],
    summary: {create: 2, update: 1, delete: 1, mkdir: 1, rmdir: 1, meta: 1, rename: 1, bytes: 0},
    warnings: [],
    entries: {source: 6, replica: 5},
  }
}
