// One chip's pending events, keyed by (cycle, phase) and, within a key, in the order they were pushed: the same
// order as a heap on (cycle * 4 + phase, insertion number), so runs are deterministic. A calendar: a ring of FIFO
// buckets covering the next HORIZON keys (push and pop O(1), a bitmap finds the next non-empty bucket), and a heap
// for events beyond the ring, moved into their bucket when the key comes within the ring (so the FIFO order holds:
// every event of a key pushed while it was far comes before every event pushed once it is near). Events are rows of
// typed arrays reused through a free list: a run allocates nothing per event.

/** Phases within a cycle (docs/isa.md "put, then take"): issue, then arrivals and SRAM/accumulator updates,
 * then puts, then takes. */
export const PHASE_ISSUE = 0;
export const PHASE_UPDATE = 1;
export const PHASE_PUT = 2;
export const PHASE_TAKE = 3;

const RING_BITS = 12; // 4096 keys: 1024 cycles
const RING = 1 << RING_BITS;
const MASK = RING - 1;
const WORDS = RING >>> 5;

export class EventQueue {
  /** Per event row: kind, owner (an instruction id, queue number or link), vector index, value (a pooled buffer). */
  kind: Uint8Array;
  owner: Int32Array;
  index: Float64Array;
  ref: unknown[];
  private key: Float64Array;
  private nextRow: Int32Array;
  private freeTop = -1;
  private rows = 0;
  private readonly head = new Int32Array(RING).fill(-1);
  private readonly tail = new Int32Array(RING).fill(-1);
  private readonly occupied = new Uint32Array(WORDS);
  /** Keys below base are done; the ring holds keys base .. base + RING - 1. */
  private base = 0;
  private inRing = 0;
  /** Far events: a binary heap of rows ordered by (key, seq). */
  private far: number[] = [];
  private farSeq: number[] = [];
  private seq = 0;
  private seqOf: Float64Array;

  constructor(capacity = 256) {
    this.kind = new Uint8Array(capacity);
    this.owner = new Int32Array(capacity);
    this.index = new Float64Array(capacity);
    this.ref = new Array<unknown>(capacity).fill(null);
    this.key = new Float64Array(capacity);
    this.nextRow = new Int32Array(capacity);
    this.seqOf = new Float64Array(capacity);
  }

  /** Pending events. */
  get size(): number {
    return this.inRing + this.far.length;
  }

  private grow(): void {
    const cap = this.kind.length * 2;
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.kind = g8(this.kind);
    this.owner = g32(this.owner);
    this.index = g64(this.index);
    this.key = g64(this.key);
    this.nextRow = g32(this.nextRow);
    this.seqOf = g64(this.seqOf);
    const ref = new Array<unknown>(cap).fill(null);
    for (let i = 0; i < this.ref.length; i++) ref[i] = this.ref[i];
    this.ref = ref;
  }

  push(cycle: number, phase: number, kind: number, owner: number, index: number, ref: unknown): void {
    let r = this.freeTop;
    if (r >= 0) this.freeTop = this.nextRow[r]!;
    else {
      if (this.rows === this.kind.length) this.grow();
      r = this.rows++;
    }
    const key = cycle * 4 + phase;
    this.kind[r] = kind;
    this.owner[r] = owner;
    this.index[r] = index;
    this.ref[r] = ref;
    this.key[r] = key;
    if (key - this.base < RING) this.append(r, key);
    else this.farPush(r, this.seq++);
  }

  private append(r: number, key: number): void {
    const b = key & MASK;
    this.nextRow[r] = -1;
    const t = this.tail[b]!;
    if (t < 0) {
      this.head[b] = r;
      this.occupied[b >>> 5]! |= 1 << (b & 31);
    } else this.nextRow[t] = r;
    this.tail[b] = r;
    this.inRing++;
  }

  /** Cycle of the earliest pending event, or Infinity. */
  peekCycle(): number {
    if (this.inRing > 0) return Math.floor(this.firstKey() / 4);
    if (this.far.length > 0) return Math.floor(this.key[this.far[0]!]! / 4);
    return Number.POSITIVE_INFINITY;
  }

  /** The smallest key in the ring (inRing > 0): scan the bitmap from base. */
  private firstKey(): number {
    const start = this.base & MASK;
    let w = start >>> 5;
    let bits = this.occupied[w]! & (~0 << (start & 31));
    for (let step = 0; step <= WORDS; step++) {
      if (bits !== 0) {
        const b = (w << 5) | (31 - Math.clz32(bits & -bits));
        return this.base + ((b - start) & MASK);
      }
      w = (w + 1) % WORDS;
      bits = this.occupied[w]!;
    }
    throw new Error("internal error: event ring count out of step with its bitmap");
  }

  /**
   * Starts cycle `cycle` (>= every earlier start): the ring moves to cover keys from cycle * 4, and far events now
   * within it move into their buckets.
   */
  begin(cycle: number): void {
    const key = cycle * 4;
    if (key <= this.base) return;
    this.base = key;
    const far = this.far;
    while (far.length > 0 && this.key[far[0]!]! - key < RING) {
      const r = this.farPop();
      this.append(r, this.key[r]!);
    }
  }

  /** The next event row of `cycle` (the smallest key, then the first pushed), removed; -1 when there is none.
   * The caller reads its fields, then calls release(row). */
  popAt(cycle: number): number {
    if (this.inRing === 0) return -1;
    const k0 = cycle * 4;
    for (let p = 0; p < 4; p++) {
      const b = (k0 + p) & MASK;
      const r = this.head[b]!;
      if (r < 0) continue;
      const nx = this.nextRow[r]!;
      this.head[b] = nx;
      if (nx < 0) {
        this.tail[b] = -1;
        this.occupied[b >>> 5]! &= ~(1 << (b & 31));
      }
      this.inRing--;
      return r;
    }
    return -1;
  }

  /** Drops every pending event (the fast path, fast/run.ts, ran the program without them). */
  clear(): void {
    for (let r = 0; r < this.rows; r++) this.ref[r] = null;
    this.rows = 0;
    this.freeTop = -1;
    this.head.fill(-1);
    this.tail.fill(-1);
    this.occupied.fill(0);
    this.inRing = 0;
    this.far = [];
    this.farSeq = [];
  }

  release(r: number): void {
    this.ref[r] = null;
    this.nextRow[r] = this.freeTop;
    this.freeTop = r;
  }

  private farLess(a: number, b: number): boolean {
    const ka = this.key[this.far[a]!]!;
    const kb = this.key[this.far[b]!]!;
    return ka < kb || (ka === kb && this.farSeq[a]! < this.farSeq[b]!);
  }

  private farPush(r: number, seq: number): void {
    const a = this.far;
    const s = this.farSeq;
    let j = a.length;
    a.push(r);
    s.push(seq);
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!this.farLess(j, p)) break;
      [a[j], a[p]] = [a[p]!, a[j]!];
      [s[j], s[p]] = [s[p]!, s[j]!];
      j = p;
    }
  }

  private farPop(): number {
    const a = this.far;
    const s = this.farSeq;
    const top = a[0]!;
    const last = a.pop()!;
    const lastSeq = s.pop()!;
    const n = a.length;
    if (n > 0) {
      a[0] = last;
      s[0] = lastSeq;
      let j = 0;
      for (;;) {
        const l = 2 * j + 1;
        if (l >= n) break;
        const c = l + 1 < n && this.farLess(l + 1, l) ? l + 1 : l;
        if (!this.farLess(c, j)) break;
        [a[j], a[c]] = [a[c]!, a[j]!];
        [s[j], s[c]] = [s[c]!, s[j]!];
        j = c;
      }
    }
    return top;
  }
}
