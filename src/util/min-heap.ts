/** A binary min-heap of numbers: the priority queue of the plan's topological sort. */
export class MinHeap {
  private readonly items: number[] = []

  get size(): number {
    return this.items.length
  }

  push(value: number): void {
    const a = this.items
    a.push(value)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (a[parent]! <= value) break
      a[i] = a[parent]!
      i = parent
    }
    a[i] = value
  }

  pop(): number | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= a.length) break
      const right = left + 1
      const child = right < a.length && a[right]! < a[left]! ? right : left
      if (a[child]! >= last) break
      a[i] = a[child]!
      i = child
    }
    a[i] = last
    return top
  }
}
