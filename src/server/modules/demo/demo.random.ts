/**
 * Small seeded PRNG for the demo generator: sfc32 seeded through splitmix32, one independent
 * stream per concern (orgs, lattice, addresses …) so that e.g. organisation ids do not move
 * when the address volume (scale) changes. Pure integer arithmetic: identical on every platform.
 */

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = '') {
    const lo = Math.trunc(seed) >>> 0;
    const hi = Math.trunc(seed / 4294967296) >>> 0;
    const mix = splitmix32(lo ^ Math.imul(hi, 0x9e3779b1) ^ fnv1a(stream));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() | 1;
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** Next 32-bit unsigned integer (sfc32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Pick with weights (same length as items). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i];
      if (r < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** Fisher–Yates, returns a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** RFC 4122 version-4 formatted UUID drawn from this stream. */
  uuid(): string {
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    const b1 = ((b >>> 16) & 0x0fff) | 0x4000; // version 4
    const c0 = ((c >>> 16) & 0x3fff) | 0x8000; // variant 10
    return (
      HEX[a >>> 24] + HEX[(a >>> 16) & 0xff] + HEX[(a >>> 8) & 0xff] + HEX[a & 0xff] + '-' +
      HEX[(b >>> 8) & 0xff] + HEX[b & 0xff] + '-' +
      HEX[b1 >>> 8] + HEX[b1 & 0xff] + '-' +
      HEX[c0 >>> 8] + HEX[c0 & 0xff] + '-' +
      HEX[(c >>> 8) & 0xff] + HEX[c & 0xff] + HEX[d >>> 24] + HEX[(d >>> 16) & 0xff] + HEX[(d >>> 8) & 0xff] + HEX[d & 0xff]
    );
  }
}
