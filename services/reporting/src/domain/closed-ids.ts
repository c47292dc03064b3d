import { hash } from 'node:crypto';

/**
 * The ids of closed cases, as a scalable Bloom filter: "certainly not closed" or "maybe closed" (a false
 * alarm about FALSE_POSITIVE of the time per slice, which costs one archive look-up that finds nothing).
 * About 2.5 bytes per id (a closed request and its delivery tasks: ~5 MB per million requests), the only
 * state of the figures that grows with history. Hand-written because the npm bloom-filters package hashes in JavaScript at ~60 µs a look-up,
 * more than applying a fact; here node's SHA-1 gives the bit positions in ~1 µs.
 */
const FALSE_POSITIVE = 0.001;
/** Bit positions per id, optimal for the rate: log2(1/p). */
const K = Math.ceil(Math.log2(1 / FALSE_POSITIVE));
/** Bits per id at that rate: k / ln 2. */
const BITS_PER_ID = K / Math.LN2;

interface Slice {
  bits: Uint32Array;
  capacity: number;
  count: number;
}

export class ClosedIds {
  /** Filled in turn, each twice the capacity of the one before (one look-up tests them all). */
  private readonly slices: Slice[] = [];

  constructor(private readonly initialCapacity = 4096) {
    if (!(initialCapacity >= 1)) throw new Error('initialCapacity must be ≥ 1');
  }

  add(id: string): void {
    let slice = this.slices.at(-1);
    if (!slice || slice.count >= slice.capacity) {
      const capacity = slice ? slice.capacity * 2 : this.initialCapacity;
      slice = { bits: new Uint32Array(Math.ceil((capacity * BITS_PER_ID) / 32)), capacity, count: 0 };
      this.slices.push(slice);
    }
    const m = slice.bits.length * 32;
    for (const p of positions(id, m)) slice.bits[p >>> 5] = (slice.bits[p >>> 5] ?? 0) | (1 << (p & 31));
    slice.count += 1;
  }

  has(id: string): boolean {
    return this.slices.some((s) =>
      positions(id, s.bits.length * 32).every((p) => ((s.bits[p >>> 5] ?? 0) & (1 << (p & 31))) !== 0),
    );
  }

  /** Bytes held. */
  get bytes(): number {
    return this.slices.reduce((n, s) => n + s.bits.byteLength, 0);
  }
}

/** K bit positions below m, by double hashing two 32-bit halves of the id's SHA-1. */
function positions(id: string, m: number): number[] {
  const digest = hash('sha1', id, 'buffer');
  const a = digest.readUInt32BE(0);
  const b = (digest.readUInt32BE(4) | 1) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < K; i++) out.push((a + i * b) % m);
  return out;
}
