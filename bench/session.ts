import {mkdir} from 'node:fs/promises'

import type {TreeName} from './layout.js'
import {measure, median, type Command, type Sample} from './measure.js'
import type {RequestCounter, RequestCounts, RequestKind} from './s3.js'

/** What a scenario must reach, from issue 5. */
export interface Target {
  /** As printed in the table, e.g. `≤ 1.0 × rsync`. */
  text: string
  /** Largest allowed treesync/reference ratio of medians. */
  maxRatio?: number
  /** Largest allowed treesync peak RSS over the timed runs. */
  maxRssMiB?: number
  /** Most requests of a kind that treesync may make in any timed run (S3 scenarios). */
  maxRequests?: Partial<Record<RequestKind, number>>
}

/** One program taking part in a scenario. */
export interface Tool {
  /** Short name for the table, e.g. `rsync -an --delete`. */
  label: string
  /** A reference's median as measured for issue 5, for orientation. */
  anchor?: string
  /** Untimed setup for this run (fresh cache, empty replica…); returns the command to time. */
  prepare(round: number): Promise<Command>
  /** Untimed checks (when the run `completed`, i.e. did not time out) and cleanup after this run. */
  after?(round: number, completed: boolean): Promise<void>
}

/** A side-by-side comparison: treesync and one or more reference tools on one tree. */
export interface Scenario {
  id: string
  title: string
  tree: TreeName
  target: Target
  /** Copies a whole tree per run: uses `--initial-runs`. */
  initial?: boolean
  /** Needs the bench's sshd (SFTP scenarios): run.ts starts it before the first such scenario. */
  ssh?: boolean
  /** Needs the bench's radosgw (S3 scenarios): run.ts starts it before the first such scenario. */
  s3?: boolean
  /** Counts the server's requests of each timed run (S3 scenarios). */
  counter?: RequestCounter
  treesync: Tool
  /** The first reference is the one the target is relative to. */
  references: Tool[]
  /** Before both tools' runs of a round (round 0 is the untimed warm-up). */
  beforeRound?(round: number): Promise<void>
  /** After both tools' runs of a round, also when one failed. */
  afterRound?(round: number): Promise<void>
  /** After the last round, also when a run failed. */
  finish?(): Promise<void>
}

/** The timed runs of one tool. */
export interface ToolResult {
  label: string
  anchor?: string
  /** Completed timed runs. */
  samples: Sample[]
  /** The server's requests in each completed timed run, when the scenario counts them. */
  requests: RequestCounts[]
  /** Set when a run (warm-up included) was killed after this many seconds; the tool then stopped. */
  timedOutAfter?: number
}

/** Everything measured for a scenario. */
export interface ScenarioResult {
  scenario: Scenario
  runs: number
  treesync: ToolResult
  references: ToolResult[]
}

/**
 * Runs one untimed warm-up round, then `runs` timed rounds; each round runs treesync,
 * then each reference, so the tools alternate and share whatever drift the machine has.
 * A tool whose run times out is not run again in this scenario.
 */
export async function runScenario(scenario: Scenario, runs: number, setting: RunSetting): Promise<ScenarioResult> {
  await mkdir(setting.workDir, {recursive: true})
  const tools = [scenario.treesync, ...scenario.references]
  const results: ToolResult[] = tools.map((tool) => ({label: tool.label, anchor: tool.anchor, samples: [], requests: []}))
  try {
    for (let round = 0; round <= runs; round++) {
      const times: string[] = []
      await scenario.beforeRound?.(round)
      try {
        for (const [i, tool] of tools.entries()) {
          if (results[i].timedOutAfter !== undefined) continue
          const command = await tool.prepare(round)
          const mark = await scenario.counter?.begin()
          const sample = await measure(command, setting.workDir, setting.timeoutSeconds)
          const requests = mark === undefined ? undefined : await scenario.counter!.end(mark)
          await tool.after?.(round, !sample.timedOut)
          if (sample.timedOut) results[i].timedOutAfter = setting.timeoutSeconds
          else if (round > 0) {
            results[i].samples.push(sample)
            if (requests) results[i].requests.push(requests)
          }
          const counted = requests ? ` ${describeCounts(requests)}` : ''
          times.push(`${tool.label} ${sample.timedOut ? `timed out after ${setting.timeoutSeconds} s` : `${sample.seconds.toFixed(2)} s ${(sample.rssKiB / 1024).toFixed(0)} MiB${counted}`}`)
        }
      } finally {
        await scenario.afterRound?.(round)
      }
      setting.log(`[${scenario.id}] ${round === 0 ? 'warm-up' : `run ${round}/${runs}`}: ${times.join(' | ')}`)
    }
  } finally {
    await scenario.finish?.()
  }
  const [treesync, ...references] = results
  return {scenario, runs, treesync, references}
}

/** `[LIST 20 HEAD 0 …]`: the kinds with requests, for the progress log. */
function describeCounts(counts: RequestCounts): string {
  return `[${Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(' ')}]`
}

/** Where and how scenarios run. */
export interface RunSetting {
  /** For GNU time's output and the measured program's stderr. */
  workDir: string
  timeoutSeconds: number
  log: (line: string) => void
}

/** Median wall time of a tool's completed runs in seconds; NaN when none completed. */
export function medianSeconds(result: ToolResult): number {
  return result.samples.length > 0 ? median(result.samples.map((sample) => sample.seconds)) : NaN
}

/** Largest peak RSS of a tool's completed runs, in MiB; NaN when none completed. */
export function peakRssMiB(result: ToolResult): number {
  return result.samples.length > 0 ? Math.max(...result.samples.map((sample) => sample.rssKiB)) / 1024 : NaN
}
