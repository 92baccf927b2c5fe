import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {FIXED_MTIME_MS} from '../helpers/tree-builder.js'
import {INNER, OLD_NAME_CONTENT, SECRET, SENTINEL_INNER, SENTINEL_TEMP_NAME, SENTINEL_SPECS, type Scene} from './fuzz-scene.js'

/**
 * Seeded mutations of a valid plan file: structural edits of the operation list, hostile
 * field values, planted operations that reach through the replica's symlink to the
 * sentinel, wrong JSON types, broken JSON text, and wholly random documents.
 */

type Json = any
type Random = () => number

export interface MutatedPlan {
  /** The plan file's bytes. */
  data: string | Buffer
  /** What was done to it, for assertion messages. */
  labels: string[]
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const int = (random: Random, n: number): number => Math.floor(random() * n)

/** A JSON token written verbatim (NaN, 1e400, …): a marker replaced after JSON.stringify. */
const raw = (token: string): string => `@@RAW@@${token}@@`
const unraw = (text: string): string => text.replace(/"@@RAW@@(.*?)@@"/g, '$1')
/** Labels show a raw token as it is written in the file. */
const plainLabel = (label: string): string => label.replace(/"?@@RAW@@(.*?)@@"?/g, '$1')

const md5 = (text: string): string => createHash('md5').update(text).digest('hex')
const bytes = (text: string): number => Buffer.byteLength(text)
const sentinelTempContent = (SENTINEL_SPECS.find((s) => s.path === SENTINEL_TEMP_NAME) as {content: string}).content

const OPS = ['mkdir', 'create', 'update', 'meta', 'rename', 'delete', 'rmdir']
const REASONS = ['missing', 'extra', 'size', 'content', 'mtime', 'mode', 'type', 'target', 'moved']

const WRONG_TYPES: Json[] = [null, true, false, 0, 1, -1, '', 'x', [], [1, 'a'], {}, {a: 1}, {op: 'delete'}]

const NUMBERS: Json[] = [
  -1, -0.5, 0.5, 1.5, 1e308, raw('9007199254740993'), 1e21, 4096, 0o7777, 0o10000, 0, 2 ** 31, -(2 ** 53),
  raw('NaN'), raw('Infinity'), raw('-Infinity'), raw('1e400'), raw('-0'), raw('0x10'), raw('01'), raw('.5'),
  'NaN', 'Infinity', '12', '1e3', '', '-1', true, null, [], {},
]

function hostilePaths(s: Scene): Json[] {
  return [
    '/etc/passwd', join(s.sentinel, 'secret.txt'), s.sentinel, '../sentinel/secret.txt', 'docs/../../sentinel/secret.txt',
    '..', '.', './a.txt', 'a.txt/', '/', '//a.txt', 'docs//guide.md', 'docs/./guide.md',
    'a\u0000b', 'a.txt\u0000', '..\\sentinel\\secret.txt', 'docs\\guide.md', '', ' ', 'x'.repeat(5000),
    'deep/'.repeat(900) + 'f', 'a'.repeat(255), 'a'.repeat(256), 'caf\u00e9.txt', 'cafe\u0301.txt',
    '\u65e5\u672c/\u30d5\u30a1\u30a4\u30eb', '\ud800', 'line\nbreak', 'tab\tname', '\u202eevil', '~', '~/x', '$HOME', '*',
    'link', 'link/secret.txt', 'link/inner.txt', 'link/sub/deep.txt', 'link/new.txt', 'link/sub', `link/${SENTINEL_TEMP_NAME}`,
    SENTINEL_TEMP_NAME, 'esc', 'esc/x', 'gone', 'gone/f.txt', 'a.txt', 'docs',
  ]
}

/**
 * Operations that, if apply followed the replica's `link` (→ the sentinel) or `esc`
 * (→ a sentinel file), would read, change or delete sentinel entries. Their preconditions
 * copy the real sentinel entries' attributes, so only path checks can stop them.
 */
function attacks(): Array<[string, Json]> {
  const fixed = FIXED_MTIME_MS
  const secret = {type: 'file', size: bytes(SECRET), mtimeMs: fixed}
  const sentinelInner = {type: 'file', size: bytes(SENTINEL_INNER), mtimeMs: fixed}
  const inner = {size: bytes(INNER), md5: md5(INNER), mode: 0o644, mtimeMs: fixed}
  return [
    ['delete link/secret.txt', {op: 'delete', path: 'link/secret.txt', type: 'file', reason: 'extra', replica: secret}],
    ['delete link/<temp name>', {op: 'delete', path: `link/${SENTINEL_TEMP_NAME}`, type: 'file', reason: 'extra', replica: {type: 'file', size: bytes(sentinelTempContent), mtimeMs: fixed}}],
    ['update link/inner.txt', {op: 'update', path: 'link/inner.txt', type: 'file', reason: 'content', ...inner, replica: sentinelInner}],
    ['meta link/inner.txt', {op: 'meta', path: 'link/inner.txt', type: 'file', reason: 'mode', mode: 0o644, mtimeMs: fixed, replica: sentinelInner}],
    ['meta link as dir', {op: 'meta', path: 'link', type: 'dir', reason: 'mode', mode: 0o755, mtimeMs: fixed, replica: {type: 'dir'}}],
    ['meta link/sub', {op: 'meta', path: 'link/sub', type: 'dir', reason: 'mtime', mode: 0o777, mtimeMs: 0, replica: {type: 'dir'}}],
    ['rmdir link/emptydir', {op: 'rmdir', path: 'link/emptydir', reason: 'extra', replica: {type: 'dir'}}],
    ['rmdir link/sub', {op: 'rmdir', path: 'link/sub', reason: 'extra', replica: {type: 'dir'}}],
    ['rename link/inner.txt out', {op: 'rename', from: 'link/inner.txt', path: 'stolen.txt', type: 'file', reason: 'moved', ...inner, replica: sentinelInner}],
    ['rename into link/', {op: 'rename', from: 'old-name.txt', path: 'link/inner.txt', type: 'file', reason: 'moved', ...inner, replica: {type: 'file', size: bytes(OLD_NAME_CONTENT), mtimeMs: fixed}}],
    ['create link/inner.txt', {op: 'create', path: 'link/inner.txt', type: 'file', reason: 'missing', ...inner}],
    ['mkdir link/newdir', {op: 'mkdir', path: 'link/newdir', reason: 'missing', mode: 0o755, mtimeMs: fixed}],
    ['create link/evil symlink', {op: 'create', path: 'link/evil', type: 'symlink', target: '/etc', reason: 'missing'}],
    ['update esc as a file', {op: 'update', path: 'esc', type: 'file', reason: 'type', ...inner, replica: {type: 'symlink', target: '../sentinel/secret.txt'}}],
    ['delete esc as a file', {op: 'delete', path: 'esc', type: 'file', reason: 'extra', replica: secret}],
    ['meta esc', {op: 'meta', path: 'esc', type: 'file', reason: 'mode', mode: 0o777, mtimeMs: 0, replica: secret}],
  ]
}

export const ATTACK_COUNT = attacks().length

/** Case `index` of the planted-attack cases: one attack, with the plan's own `link` ops kept, dropped or half dropped. */
export function attackPlan(base: Json, index: number, random: Random): MutatedPlan {
  const plan = structuredClone(base)
  const [name, op] = attacks()[index % ATTACK_COUNT]!
  const variant = pick(random, ['keep link ops', 'drop mkdir link', 'drop delete link', 'drop both'] as const)
  const isLinkOp = (o: Json, kind: string): boolean => o?.path === 'link' && o?.op === kind
  if (variant === 'drop mkdir link' || variant === 'drop both') plan.operations = plan.operations.filter((o: Json) => !isLinkOp(o, 'mkdir'))
  if (variant === 'drop delete link' || variant === 'drop both') plan.operations = plan.operations.filter((o: Json) => !isLinkOp(o, 'delete'))
  const at = int(random, plan.operations.length + 1)
  plan.operations.splice(at, 0, op)
  return {data: JSON.stringify(plan, null, 2), labels: [`attack: ${name} at #${at} (${variant})`]}
}

/** Picks an operation object (or undefined when there is none to pick). */
function someOp(plan: Json, random: Random): Json | undefined {
  if (!Array.isArray(plan?.operations) || plan.operations.length === 0) return undefined
  const op = pick(random, plan.operations)
  return typeof op === 'object' && op !== null && !Array.isArray(op) ? op : undefined
}

type Mutation = (plan: Json, random: Random, scene: Scene) => string

const MUTATIONS: Array<[number, Mutation]> = [
  [3, (p, r) => {
    if (!Array.isArray(p.operations) || p.operations.length === 0) return 'drop op: none'
    const i = int(r, p.operations.length)
    p.operations.splice(i, 1)
    return `drop op #${i}`
  }],
  [3, (p, r) => {
    if (!Array.isArray(p.operations) || p.operations.length === 0) return 'duplicate op: none'
    const i = int(r, p.operations.length)
    const j = int(r, p.operations.length + 1)
    p.operations.splice(j, 0, structuredClone(p.operations[i]))
    return `duplicate op #${i} at #${j}`
  }],
  [3, (p, r) => {
    if (!Array.isArray(p.operations) || p.operations.length < 2) return 'swap ops: too few'
    const i = int(r, p.operations.length)
    const j = int(r, p.operations.length)
    ;[p.operations[i], p.operations[j]] = [p.operations[j], p.operations[i]]
    return `swap ops #${i} #${j}`
  }],
  [1, (p, r) => {
    if (!Array.isArray(p.operations)) return 'shuffle: no list'
    for (let i = p.operations.length - 1; i > 0; i--) {
      const j = int(r, i + 1)
      ;[p.operations[i], p.operations[j]] = [p.operations[j], p.operations[i]]
    }
    return 'shuffle ops'
  }],
  [1, (p) => {
    if (Array.isArray(p.operations)) p.operations.reverse()
    return 'reverse ops'
  }],
  [3, (p, r) => {
    const op = someOp(p, r)
    if (!op) return 'op name: none'
    op.op = pick(r, [...OPS, ...OPS, 'copy', 'DELETE', 'rm -rf', '', 'delete ', 42, null, ['delete']])
    return `op name of ${JSON.stringify(op.path)} -> ${JSON.stringify(op.op)}`
  }],
  [2, (p, r) => {
    const op = someOp(p, r)
    if (!op) return 'type: none'
    const where = r() < 0.7 ? op : (op.replica ??= {})
    if (typeof where !== 'object' || where === null) return 'type: no replica object'
    where.type = pick(r, ['file', 'symlink', 'dir', 'fifo', 'other', 'File', '', 7, null, {}])
    return `type of ${JSON.stringify(op.path)}${where === op ? '' : '.replica'} -> ${JSON.stringify(where.type)}`
  }],
  [2, (p, r) => {
    const op = someOp(p, r)
    if (!op) return 'reason: none'
    op.reason = pick(r, [...REASONS, 'because', 'EXTRA', '', null, 1])
    return `reason of ${JSON.stringify(op.path)} -> ${JSON.stringify(op.reason)}`
  }],
  [5, (p, r) => {
    const op = someOp(p, r)
    const targets: Array<[Json, string]> = [[p, 'version']]
    if (typeof p.entries === 'object' && p.entries !== null) targets.push([p.entries, 'replica'], [p.entries, 'source'])
    if (op) {
      for (const k of ['size', 'mode', 'mtimeMs']) targets.push([op, k], [op, k])
      if (typeof op.replica === 'object' && op.replica !== null) for (const k of ['size', 'mode', 'mtimeMs']) targets.push([op.replica, k])
    }
    const [obj, key] = pick(r, targets)
    obj[key] = pick(r, NUMBERS)
    return `number ${obj === p ? '' : `${JSON.stringify(op?.path)}.`}${obj === op?.replica ? 'replica.' : ''}${key} -> ${JSON.stringify(obj[key])}`
  }],
  [7, (p, r, s) => {
    const op = someOp(p, r)
    if (!op) return 'path: none'
    const key = op.op === 'rename' && r() < 0.5 ? 'from' : 'path'
    const before = op[key]
    op[key] = pick(r, hostilePaths(s))
    return `${key} ${JSON.stringify(before)} -> ${JSON.stringify(op[key]).slice(0, 80)}`
  }],
  [2, (p, r) => {
    const op = someOp(p, r)
    if (!op) return 'md5/target: none'
    if (r() < 0.5) op.md5 = pick(r, ['0'.repeat(32), 'A'.repeat(32), 'xyz', '', 42, null, md5('other')])
    else op.target = pick(r, ['/etc', '../../sentinel', '../sentinel/secret.txt', '', 'x\u0000y', 'a'.repeat(5000), 7])
    return `md5/target of ${JSON.stringify(op.path)}`
  }],
  [4, (p, r) => {
    const op = someOp(p, r)
    const inOp = op && r() < 0.7
    const obj = inOp ? op : p
    const keys = Object.keys(obj)
    const key = pick(r, keys)
    obj[key] = pick(r, WRONG_TYPES)
    return `wrong type: ${inOp ? `${JSON.stringify(op.path)}.` : ''}${key} -> ${JSON.stringify(obj[key])}`
  }],
  [2, (p, r) => {
    const op = someOp(p, r)
    const inOp = op && r() < 0.7
    const obj = inOp ? op : p
    const key = pick(r, Object.keys(obj))
    delete obj[key]
    return `remove ${inOp ? 'op ' : ''}field ${key}`
  }],
  [1, (p, r) => {
    const op = someOp(p, r)
    const obj = op && r() < 0.5 ? op : p
    obj[pick(r, ['extra', 'constructor', 'prototype', 'toString', 'x-unknown'])] = pick(r, WRONG_TYPES)
    return 'add unknown field'
  }],
  [2, (p, r, s) => {
    const key = r() < 0.5 ? 'source' : 'replica'
    // Never a root a real apply could legitimately write to outside the replica: values
    // are invalid, overlapping, not directories, or symlinks that resolve elsewhere.
    const values: Json[] =
      key === 'replica'
        ? ['replica', `${s.replica}/`, `${s.sentinel}/../replica`, s.source, join(s.source, 'docs'), s.file, join(s.replica, 'link'), join(s.replica, 'link', 'sub'), '/', '', `${s.replica}\u0000`, s.root, 7, null, `sftp://nas${s.replica}`, `nas:${s.replica}`, 's3://bucket/replica', 'replica:x']
        : ['source', `${s.source}/`, s.sentinel, s.replica, join(s.replica, 'link'), join(s.replica, 'gone'), s.file, '/', s.root, '', join(s.root, 'missing'), 7, null, `sftp://u@nas:2222${s.source}`, 's3://bucket', 'source:']
    p[key] = pick(r, values)
    return `${key} root -> ${JSON.stringify(p[key])}`
  }],
  [2, (p, r) => {
    if (r() < 0.5) p.format = pick(r, ['treesync-plan2', 'Treesync-Plan', '', 'terraform-plan', null, 1])
    else p.version = pick(r, [3, 1, 0, -1, '2', 1.5, null, raw('2.0'), raw('2e0'), 99])
    return `format/version -> ${JSON.stringify(p.format)} ${JSON.stringify(p.version)}`
  }],
  [1, (p, r) => {
    p.createdAt = pick(r, ['yesterday', '', '2026-13-45T99:99:99Z', 0, null, raw('1e400')])
    return `createdAt -> ${JSON.stringify(p.createdAt)}`
  }],
  [1, (p, r) => {
    p.operations = pick(r, [{}, 'all', null, 7, [], [null], [[]], [1, 2], Array.from({length: 3000}, () => structuredClone(p.operations?.[0] ?? {}))])
    return `operations -> ${Array.isArray(p.operations) ? `list of ${p.operations.length}` : JSON.stringify(p.operations)}`
  }],
  [1, (p, r) => {
    p.summary = pick(r, [{create: 999, bytes: -1}, null, 'lots', {}])
    p.warnings = pick(r, [[{path: 'x', message: 'y', level: 'fatal'}], 'warn', [null], [{path: 1}], []])
    return 'summary/warnings tampered'
  }],
  [2, (p, r) => {
    const [name, op] = pick(r, attacks())
    if (!Array.isArray(p.operations)) p.operations = []
    p.operations.splice(int(r, p.operations.length + 1), 0, op)
    return `attack: ${name}`
  }],
]

const TOTAL_WEIGHT = MUTATIONS.reduce((n, [w]) => n + w, 0)

function pickMutation(random: Random): Mutation {
  let roll = random() * TOTAL_WEIGHT
  for (const [w, m] of MUTATIONS) {
    if ((roll -= w) < 0) return m
  }
  return MUTATIONS.at(-1)![1]
}

/** A random JSON value, nested up to `depth`. */
export function randomJson(random: Random, depth = 4): Json {
  const roll = random()
  if (depth <= 0 || roll < 0.35) {
    return pick(random, [null, true, false, 0, -1, 1.5, 1e300, '', 'treesync-plan', 'delete', '../x', 'a\u0000b', '\ud83d\ude00', int(random, 1000)])
  }
  if (roll < 0.6) return Array.from({length: int(random, 5)}, () => randomJson(random, depth - 1))
  const keys = ['format', 'version', 'source', 'replica', 'operations', 'op', 'path', 'from', 'type', 'reason', 'size', 'x', '__proto__']
  const obj: Json = {}
  for (let i = int(random, 6); i > 0; i--) obj[pick(random, keys)] = randomJson(random, depth - 1)
  return obj
}

/** Breaks the JSON text itself. */
function textMutation(text: string, random: Random): [string | Buffer, string] {
  const roll = int(random, 8)
  switch (roll) {
    case 0: {
      const at = int(random, text.length)
      return [text.slice(0, at), `truncated at ${at}/${text.length}`]
    }
    case 1: {
      const at = int(random, text.length)
      const ch = pick(random, ['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'x', '9'])
      return [text.slice(0, at) + ch + text.slice(at + 1), `char ${at} -> ${JSON.stringify(ch)}`]
    }
    case 2:
      return ['\uFEFF' + text, 'BOM prefix']
    case 3:
      return [text + text, 'two documents']
    case 4:
      return [text.replace('{', '{"__proto__": {"operations": [], "format": "x"}, '), '__proto__ key']
    case 5:
      return [Buffer.concat([Buffer.from(text.slice(0, 60)), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]), Buffer.from(text.slice(60))]), 'invalid UTF-8 inside']
    case 6:
      return [text.replaceAll('\n', '\r\n').replace('"operations"', '"operations"  '), 'CRLF and spacing']
    default:
      return [text + '\n// trailing comment\n', 'trailing comment']
  }
}

/** Random, not derived from the plan at all. */
function wholeRandom(random: Random): [string | Buffer, string] {
  const roll = int(random, 10)
  if (roll < 5) return [JSON.stringify(randomJson(random, 5)), 'random JSON']
  return pick(random, [
    ['', 'empty file'],
    ['null', 'null'],
    ['[]', 'an array'],
    ['{}', 'an empty object'],
    ['{"format":"treesync-plan","version":2}', 'header only'],
    ['['.repeat(200_000), 'deeply nested arrays (unclosed)'],
    ['['.repeat(5_000) + ']'.repeat(5_000), 'deeply nested arrays'],
    [Buffer.from(Array.from({length: 512}, () => int(random, 256))), 'random bytes'],
  ] as Array<[string | Buffer, string]>)
}

/** One seeded random mutation of the base plan (moved to the scene already). */
export function mutatePlan(base: Json, scene: Scene, random: Random): MutatedPlan {
  if (random() < 0.08) {
    const [data, label] = wholeRandom(random)
    return {data, labels: [label]}
  }
  const plan = structuredClone(base)
  const labels: string[] = []
  for (let n = 1 + int(random, 3); n > 0; n--) labels.push(plainLabel(pickMutation(random)(plan, random, scene)))
  let text = unraw(JSON.stringify(plan, null, 2))
  if (random() < 0.15) {
    const [data, label] = textMutation(text, random)
    labels.push(label)
    if (typeof data !== 'string') return {data, labels}
    text = data
  }
  return {data: text, labels}
}
