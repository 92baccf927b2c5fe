import type {Backend} from '../../src/backend/backend.js'

/**
 * A backend that behaves like `inner` except for the members given: for tests that count,
 * slow down or break one kind of request.
 */
export function wrapBackend(inner: Backend, overrides: Partial<Backend>): Backend {
  return new Proxy(inner, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Backend]
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Counts the calls of one kind in flight and the most seen at once. */
export class InFlightCounter {
  now = 0
  most = 0
  calls = 0

  /** Runs `work` (after `delayMs`, so calls overlap), counted as one call in flight. */
  async around<T>(work: () => Promise<T>, delayMs = 0): Promise<T> {
    this.now++
    this.calls++
    this.most = Math.max(this.most, this.now)
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return await work()
    } finally {
      this.now--
    }
  }
}
