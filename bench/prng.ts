/**
 * Seeded pseudo-random numbers for the benchmark trees. Never `Math.random`: the same seed
 * must give the same trees on every machine, so a result can be reproduced.
 */

/** The murmur3 32-bit finalizer: spreads every input bit over the whole word. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** A stateless 32-bit hash of some integers: per-file parameters as a pure function of the index. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const part of parts) h = mix32((Math.imul(h, 0x01000193) ^ part) >>> 0)
  return h
}

/** sfc32: a small, fast generator with a 128-bit state, seeded through `hash32`. */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d = 1

  constructor(...seed: number[]) {
    this.a = hash32(...seed, 1)
    this.b = hash32(...seed, 2)
    this.c = hash32(...seed, 3)
    for (let i = 0; i < 12; i++) this.next()
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n)
  }

  /** Fills a buffer whose length is a multiple of 4 and which starts on a 4-byte boundary. */
  fill(buffer: Buffer): void {
    const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2)
    for (let i = 0; i < words.length; i++) words[i] = this.next()
  }
}
