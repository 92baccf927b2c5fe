/** A count with its noun in the right number: `1 operation`, `2 operations`, `0 entries`. */
export function countOf(n: number, noun: string, plural: string = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`
}
