import type {TreeSpec} from './layout.js'
import type {MachineInfo} from './machine.js'
import {REQUEST_KINDS, type RequestCounts} from './s3.js'
import {medianSeconds, peakRssMiB, type ScenarioResult, type Target, type ToolResult} from './session.js'

/** What the report says besides the measurements. */
export interface ReportContext {
  machine: MachineInfo
  dataDir: string
  specs: TreeSpec[]
  runs: number
  initialRuns: number
  timeoutSeconds: number
  loadAtEnd: string
  /** Problems that make the numbers doubtful, printed above the table. */
  warnings: string[]
  /** How the SFTP scenarios reached their replicas, when any ran. */
  ssh?: string
  /** How the S3 scenarios reached their bucket, when any ran. */
  s3?: string
}

const HEADER = [
  'scenario',
  'treesync median (s)',
  'reference',
  'reference median (s)',
  'ratio treesync/reference',
  'target (issue 5)',
  'met',
  'treesync peak RSS (MiB)',
  'reference peak RSS (MiB)',
  'runs',
  'reference in issue 5',
]

/** The Markdown report: how and where it was measured, then one table row per reference. */
export function renderReport(results: ScenarioResult[], context: ReportContext): string {
  const {machine} = context
  const rows = results.flatMap(renderRows)
  const judged = results.map((result) => isMet(result.scenario.target, result.treesync, result.references[0]))
  const lines = [
    '# treesync benchmark',
    '',
    `- date: ${machine.date}`,
    `- treesync: ${machine.treesync}`,
    `- node: ${machine.node}; rsync: ${machine.rsync.replace(/\s+/g, ' ')}`,
    `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB memory, ${machine.kernel}`,
    `- load average (1, 5, 15 min): ${machine.loadAverage} at start, ${context.loadAtEnd} at end`,
    `- data: ${context.dataDir} on ${machine.filesystem}`,
    `- trees: ${context.specs.map(describeTree).join('; ')}`,
    `- method: median of ${context.runs} timed runs per tool (initial applies: ${context.initialRuns}), treesync and the reference alternating, ` +
      `after one untimed warm-up each; page cache warm; wall time around the spawned process; runs killed after ${context.timeoutSeconds} s; ` +
      'peak RSS from `/usr/bin/time -f %M` (of the largest single process, so of one of rsync\'s processes)',
    ...(context.ssh ? [`- SFTP scenarios: ${context.ssh}`] : []),
    ...(context.s3 ? [`- S3 scenarios: ${context.s3}`] : []),
    ...context.warnings.map((warning) => `- **warning**: ${warning}`),
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Targets met: ${judged.filter(Boolean).length} of ${judged.length}.`,
    '',
    ...renderRequests(results),
  ]
  return lines.join('\n')
}

function renderRows(result: ScenarioResult): string[][] {
  const {scenario, treesync} = result
  return result.references.map((reference, i) => [
    `\`${scenario.id}\` ${scenario.title}`,
    secondsCell(treesync),
    `\`${reference.label}\``,
    secondsCell(reference),
    ratioCell(treesync, reference),
    i === 0 ? scenario.target.text : '(for reference)',
    i === 0 ? (isMet(scenario.target, treesync, reference) ? 'yes' : 'no') : '—',
    mibCell(treesync),
    mibCell(reference),
    String(result.runs),
    reference.anchor ?? '',
  ])
}

const REQUEST_HEADER = ['scenario', 'tool', ...REQUEST_KINDS, 'of them errors', 'total']

/**
 * The S3 requests of each tool's timed runs, by kind: one number when every run made the
 * same, else the range. `bucket` is HeadBucket/CreateBucket; `multipart` counts the
 * initiate, each part and the complete (or abort); `errors` the answers with a non-2xx
 * status (a HEAD of an absent key is a 404).
 */
function renderRequests(results: ScenarioResult[]): string[] {
  const rows = results.flatMap((result) =>
    [result.treesync, ...result.references]
      .filter((tool) => tool.requests.length > 0)
      .map((tool) => [`\`${result.scenario.id}\``, `\`${tool.label}\``, ...[...REQUEST_KINDS, 'errors' as const].map((kind) => rangeCell(tool.requests, (counts) => counts[kind])), rangeCell(tool.requests, total)]),
  )
  if (rows.length === 0) return []
  return [
    'S3 requests per timed run, counted from radosgw\'s ops log:',
    '',
    `| ${REQUEST_HEADER.join(' | ')} |`,
    `| ${REQUEST_HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ]
}

function total(counts: RequestCounts): number {
  return REQUEST_KINDS.reduce((sum, kind) => sum + counts[kind], 0)
}

function rangeCell(runs: RequestCounts[], value: (counts: RequestCounts) => number): string {
  const values = runs.map(value)
  const [low, high] = [Math.min(...values), Math.max(...values)]
  return low === high ? String(low) : `${low}–${high}`
}

function secondsCell(result: ToolResult): string {
  return result.timedOutAfter !== undefined ? `> ${result.timedOutAfter} (timed out)` : medianSeconds(result).toFixed(2)
}

function mibCell(result: ToolResult): string {
  const mib = peakRssMiB(result)
  return Number.isNaN(mib) ? '?' : mib.toFixed(0)
}

/** A timed-out run only bounds the ratio; both timed out leaves it unknown. */
function ratioCell(treesync: ToolResult, reference: ToolResult): string {
  if (treesync.timedOutAfter !== undefined && reference.timedOutAfter !== undefined) return '?'
  if (treesync.timedOutAfter !== undefined) return `> ${(treesync.timedOutAfter / medianSeconds(reference)).toFixed(2)}`
  if (reference.timedOutAfter !== undefined) return `< ${(medianSeconds(treesync) / reference.timedOutAfter).toFixed(2)}`
  return (medianSeconds(treesync) / medianSeconds(reference)).toFixed(2)
}

/** Met only when every bound the target sets is proven: a timed-out treesync meets nothing. */
function isMet(target: Target, treesync: ToolResult, reference: ToolResult): boolean {
  if (treesync.timedOutAfter !== undefined) return false
  const referenceSeconds = reference.timedOutAfter ?? medianSeconds(reference)
  const ratioOk = target.maxRatio === undefined || medianSeconds(treesync) / referenceSeconds <= target.maxRatio
  const requestsOk = Object.entries(target.maxRequests ?? {}).every(([kind, most]) => treesync.requests.length > 0 && treesync.requests.every((counts) => counts[kind as keyof RequestCounts] <= most))
  return ratioOk && requestsOk && (target.maxRssMiB === undefined || peakRssMiB(treesync) <= target.maxRssMiB)
}

function describeTree(spec: TreeSpec): string {
  return `${spec.name} ${spec.files} files of ${formatBytes(spec.minBytes)}–${formatBytes(spec.maxBytes)} in ${spec.dirs} ${spec.dirs === 1 ? 'directory' : 'directories'} (seed ${spec.seed})`
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 20) return `${+(bytes / 2 ** 20).toFixed(1)} MiB`
  if (bytes >= 2 ** 10) return `${+(bytes / 2 ** 10).toFixed(1)} KiB`
  return `${bytes} B`
}
