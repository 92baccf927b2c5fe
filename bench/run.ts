/**
 * `npm run bench -- [flags]`: issue 5's benchmark. Generates deterministic trees outside the
 * repository (once; reused while their parameters match), runs each scenario with treesync
 * and its reference tool alternating, and prints a Markdown table of medians, ratios,
 * targets and peak RSS. Progress goes to stderr, the report to stdout (and `--out`).
 */
import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import type {TreeName} from './layout.js'
import {buildStamp, describeMachine, loadAverage} from './machine.js'
import {BenchError, runQuiet} from './measure.js'
import {lockDataDir} from './lock.js'
import {ChangeRounds} from './mutate.js'
import {parseOptions, USAGE, type BenchOptions} from './options.js'
import {renderReport} from './report.js'
import {checkRequirements} from './requirements.js'
import {defineScenarios} from './scenarios.js'
import {BenchS3, describeS3} from './s3.js'
import {runScenario, type Scenario, type ScenarioResult} from './session.js'
import {BenchSsh, describeSsh} from './ssh.js'
import {ensureTree} from './trees.js'

const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv)
  const ssh = new BenchSsh()
  const s3 = new BenchS3()
  const scenarios = defineScenarios({...options, ssh, s3})
  if (options.help) {
    process.stdout.write(`${USAGE}\nscenarios: ${scenarios.map((scenario) => scenario.id).join(', ')}\n`)
    return
  }
  const selected = selectScenarios(scenarios, options.only)
  checkRequirements(options.bin, {ssh: selected.some((scenario) => scenario.ssh), s3: selected.some((scenario) => scenario.s3)})
  await mkdir(options.dataDir, {recursive: true})
  const unlock = await lockDataDir(options.dataDir)
  try {
    await benchmark(options, selected, ssh, s3)
  } finally {
    await ssh.stop()
    await s3.stop()
    await unlock()
  }
}

/** Prepares the trees, runs the scenarios and writes the report (also after a failed run). */
async function benchmark(options: BenchOptions, selected: Scenario[], ssh: BenchSsh, s3: BenchS3): Promise<void> {
  const machine = describeMachine(options.dataDir, options.bin)
  const stamp = buildStamp(options.bin)

  const trees = [...new Set(selected.map((scenario) => scenario.tree))]
  await prepareTrees(options, trees)

  const results: ScenarioResult[] = []
  const warnings: string[] = []
  let failure: BenchError | undefined
  const setting = {workDir: join(options.dataDir, 'logs'), timeoutSeconds: options.timeoutSeconds, log}
  for (const scenario of selected) {
    try {
      if (scenario.ssh) await ssh.start(log)
      if (scenario.s3) await s3.start(log)
      results.push(await runScenario(scenario, scenario.initial ? options.initialRuns : options.runs, setting))
    } catch (error) {
      if (!(error instanceof BenchError)) throw error
      failure = error
      warnings.push(`aborted at \`${scenario.id}\`: ${summarize(error.message)}`)
      break
    }
  }
  if (buildStamp(options.bin) !== stamp) warnings.push('treesync was rebuilt during the run, so scenarios may have measured different builds')

  const specs = trees.map((tree) => options.specs[tree])
  const report = renderReport(results, {
    machine,
    dataDir: options.dataDir,
    specs,
    runs: options.runs,
    initialRuns: options.initialRuns,
    timeoutSeconds: options.timeoutSeconds,
    loadAtEnd: loadAverage(),
    warnings,
    ssh: results.some((result) => result.scenario.ssh) ? describeSsh(ssh) : undefined,
    s3: results.some((result) => result.scenario.s3) ? describeS3(s3) : undefined,
  })
  process.stdout.write(report)
  if (options.out) {
    await mkdir(dirname(options.out), {recursive: true})
    await writeFile(options.out, report)
  }
  if (failure) throw failure
}

/** A failure's first line and its most telling output line (node's own errors say "Error"). */
function summarize(message: string): string {
  const [first, ...rest] = message.split('\n').map((line) => line.trim()).filter(Boolean)
  const telling = rest.find((line) => /error|fatal/i.test(line)) ?? rest[rest.length - 1]
  return telling ? `${first} ${telling}` : first
}

function selectScenarios(scenarios: Scenario[], only: string[] | undefined): Scenario[] {
  if (!only) return scenarios
  const unknown = only.filter((id) => !scenarios.some((scenario) => scenario.id === id))
  if (unknown.length > 0) throw new BenchError(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((scenario) => scenario.id).join(', ')}`)
  return scenarios.filter((scenario) => only.includes(scenario.id))
}

/** Generates (or reuses) the trees, repairs an interrupted change round, then flushes writes. */
async function prepareTrees(options: BenchOptions, trees: TreeName[]): Promise<void> {
  for (const tree of trees) {
    const paths = await ensureTree(options.dataDir, options.specs[tree], options.skipGenerate, log)
    if (tree === 'small') await new ChangeRounds(options.specs.small, paths).restorePending()
  }
  // Writeback of freshly generated data must not land in the first measurements.
  await runQuiet(['sync'])
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (!(error instanceof BenchError)) throw error
  process.stderr.write(`bench: ${error.message}\n`)
  process.exitCode = 1
})
