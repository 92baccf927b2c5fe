/**
 * Soak check for `treesync watch` (not part of npm test): runs the real binary with the
 * shortest interval it accepts (0.05 s) for N cycles while another loop keeps changing the
 * source, samples the process's RSS from /proc, and prints it per 100 cycles. Memory must
 * stay flat: no state may grow with the number of cycles.
 *
 *   node dist/scripts/soak-watch.js [cycles=1500]
 */
import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const target = Number(process.argv[2] ?? 1500)

const root = await mkdtemp(join(tmpdir(), 'treesync-soak-'))
const source = join(root, 'source')
for (let d = 0; d < 20; d++) {
  await mkdir(join(source, `d${d}`), {recursive: true})
  for (let f = 0; f < 25; f++) await writeFile(join(source, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`)
}
const log = join(root, 'soak.log')
const child = spawn(process.execPath, [BIN, 'watch', source, join(root, 'replica'), '0.05', log, '--cache-dir', join(root, 'cache')], {
  stdio: 'ignore',
})

const rssKiB = async (): Promise<number> => {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
}
const cyclesSoFar = async (): Promise<number> => {
  const text = await readFile(log, 'utf8').catch(() => '')
  return (text.match(/ cycle \d+: /g) ?? []).length
}

let changes = 0
const samples: Array<[number, number]> = []
let nextReport = 100
while ((await cyclesSoFar()) < target) {
  // Keep the source moving so cycles do real work: edits, creations and deletions.
  const d = changes % 20
  await writeFile(join(source, `d${d}`, `f${changes % 25}.txt`), `edit ${changes}\n`)
  if (changes % 7 === 0) await writeFile(join(source, `d${d}`, `tmp-${changes % 5}.txt`), 'x')
  if (changes % 11 === 0) await rm(join(source, `d${d}`, `tmp-${changes % 5}.txt`), {force: true})
  changes++
  const cycles = await cyclesSoFar()
  if (cycles >= nextReport) {
    samples.push([cycles, await rssKiB()])
    nextReport += 100
  }
  await sleep(20)
}
child.kill('SIGTERM')
await new Promise((resolve) => child.on('close', resolve))

process.stdout.write(`cycles  RSS (MiB)\n`)
for (const [cycles, kib] of samples) process.stdout.write(`${String(cycles).padStart(6)}  ${(kib / 1024).toFixed(1)}\n`)
const early = samples.slice(1, 4).map((s) => s[1])
const late = samples.slice(-3).map((s) => s[1])
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
process.stdout.write(
  `\n${await cyclesSoFar()} cycles, ${changes} source changes; RSS median early ${(median(early) / 1024).toFixed(1)} MiB, ` +
    `late ${(median(late) / 1024).toFixed(1)} MiB (ratio ${(median(late) / median(early)).toFixed(2)})\n`,
)
await rm(root, {recursive: true, force: true})
