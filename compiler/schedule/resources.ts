// Reservation tables for the scheduler: per-queue busy time, per-bank port cycles, and per-stream occupancy in
// space-time. Every table answers "is this free?" with the cycle delay that would clear the first conflict, so a
// search can jump instead of stepping one cycle at a time; everything is run-length (intervals, rectangles), so
// the cost grows with instructions, not with vectors.
// Contract: `conflict` returns 0 when the request is free; otherwise a positive shift that is necessary (never
// skips a feasible start) for the request as a whole to be free.
import { invariant } from "../../util/assert.ts";
import { offHeapBuffer, offHeapInt32 } from "../../util/off-heap.ts";

/** Cycles and positions the tables hold: whole numbers that fit an Int32Array (a schedule of 2^31 cycles is far
 * beyond any program; checked, never wrapped). */
function int32(x: number): number {
  if ((x | 0) !== x) throw new Error(`internal error: reservation bound ${x} is not a 32-bit integer`);
  return x;
}

/** Bytes of each of Int32Slab's slabs; an array above a quarter of that is a buffer of its own. */
const SLAB_BYTES = 4 << 20;

/**
 * Int32 arrays for many tables, carved as views of shared buffers: a table's storage, and each growth of it, is
 * then no backing store of its own outside the heap. Tens of thousands of tables each allocating theirs (and again
 * on every growth) were 6% of llama2-7b's compile on 75 chips, in those allocations alone. An array a table
 * outgrows is given back and taken again by the next request of its length (the tables' lengths are few: their
 * first times powers of four), so the slabs hold about what the tables use. Arrays come back as they were left:
 * a table reads only the entries it wrote. The slabs are of one size (4 MB), not each twice the one before: V8
 * starts a collection of the whole heap whenever the array buffers allocated since the last one pass 64 MB, and a
 * slab counts whole however little of it is used (doubling slabs allocated 133 MB for 86 MB of tables on the fp16
 * llama2-70b cut to 4 layers; the last slab alone started a collection). A large array (above 1 MB) is a buffer of
 * its own, given back and taken again like the others. Slabs and large arrays are util/off-heap.ts buffers, which
 * start no such collection at all (the whole fp16 llama2-70b's schedule ran dozens of them over a 2.5 GB heap).
 */
export class Int32Slab {
  private buffer: ArrayBufferLike | undefined;
  private at = 0;
  /** Arrays given back, by length. */
  private readonly free = new Map<number, Int32Array[]>();

  take(n: number): Int32Array {
    const bytes = 4 * n;
    const reused = this.free.get(n)?.pop();
    if (reused) return reused;
    if (4 * bytes > SLAB_BYTES) return offHeapInt32(n);
    if (!this.buffer || this.at + bytes > this.buffer.byteLength) {
      this.buffer = offHeapBuffer(SLAB_BYTES);
      this.at = 0;
    }
    const a = new Int32Array(this.buffer, this.at, n);
    this.at += bytes;
    return a;
  }

  /** An array from `take` that its table no longer uses. */
  give(a: Int32Array): void {
    const list = this.free.get(a.length);
    if (list) list.push(a);
    else this.free.set(a.length, [a]);
  }
}

/** Where a table made without a slab takes its arrays: each its own. */
const OWN = { take: (n: number) => new Int32Array(n), give: (_: Int32Array) => {} };

/**
 * Disjoint half-open intervals [start, end), kept sorted, as (start, end) pairs in one Int32Array that grows when
 * full: an insertion is one memmove of the pairs after it (two spliced number arrays cost more than the search).
 */
export class IntervalSet {
  // 32 intervals to start (a queue's table holds about a hundred on a large program), growing four times over
  // (35,000 growths when doubling from 32 on the stamped llama2-70b; doubling from 4 showed in profiles).
  private pairs: Int32Array;
  private n = 0;

  /** `slab`: where the pairs are carved from (the scheduler's tables share one). */
  constructor(private readonly slab: Pick<Int32Slab, "take" | "give"> = OWN) {
    this.pairs = slab.take(64);
  }

  /** 0 when [s, e) is free, else how far the request must move later to clear the first overlap. */
  conflict(s: number, e: number): number {
    if (e <= s) return 0;
    // A request after the last interval (the common case: queues fill roughly in time order) needs no search.
    const n = this.n;
    const p = this.pairs;
    if (n === 0 || p[2 * n - 1]! <= s) return 0;
    const i = this.firstEndAfter(s);
    if (i < n && p[2 * i]! < e) return p[2 * i + 1]! - s;
    return 0;
  }

  /** The smallest d >= 0 with [s + d, e + d) free: past every interval too close to the next for the request. */
  clearance(s: number, e: number): number {
    if (e <= s) return 0;
    const n = this.n;
    const p = this.pairs;
    if (n === 0 || p[2 * n - 1]! <= s) return 0;
    let d = 0;
    for (let i = this.firstEndAfter(s); i < n && p[2 * i]! < e + d; i++) d = p[2 * i + 1]! - s;
    return d;
  }

  add(s: number, e: number): void {
    this.insert(s, e, false);
  }

  /** `add` of an interval known to start at or after the end of every interval in the set (the caller keeps the
   * last end): no search, no read of the last pair. */
  append(s: number, e: number): void {
    this.insert(s, e, true);
  }

  private insert(s: number, e: number, last: boolean): void {
    if (e <= s) return;
    int32(s);
    int32(e);
    const n = this.n;
    if (2 * n + 2 > this.pairs.length) {
      const grown = this.slab.take(this.pairs.length * 4);
      grown.set(this.pairs);
      this.slab.give(this.pairs);
      this.pairs = grown;
    }
    const p = this.pairs;
    let i = n;
    if (!last && n > 0 && p[2 * n - 1]! > s) {
      i = this.firstEndAfter(s);
      if (i < n && p[2 * i]! < e)
        throw new Error(`internal error: interval [${s}, ${e}) overlaps [${p[2 * i]}, ${p[2 * i + 1]})`);
      p.copyWithin(2 * i + 2, 2 * i, 2 * n);
    }
    p[2 * i] = s;
    p[2 * i + 1] = e;
    this.n = n + 1;
  }

  /** Every interval, in order. */
  intervals(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([this.pairs[2 * i]!, this.pairs[2 * i + 1]!]);
    return out;
  }

  /** Index of the first interval whose end is after x (intervals are disjoint and sorted, so ends are too). Searched
   * from the end, in steps that double, then by halves: the scheduler asks near the end of a table (the clock moves
   * forward), so this reads a few neighbouring pairs instead of log2(n) far-apart ones of a large table. */
  private firstEndAfter(x: number): number {
    const p = this.pairs;
    let hi = this.n;
    let step = 1;
    while (hi - step >= 0 && p[2 * (hi - step) + 1]! > x) {
      hi -= step;
      step *= 2;
    }
    let lo = Math.max(0, hi - step + 1);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[2 * mid + 1]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Fields of a StreamTable record. */
const W0 = 0;
const W1 = 1;
const LO = 2;
const HI = 3;
/** max(w1) over this record and every record before it: non-decreasing. */
const MAX_W1 = 4;
const RECORD = 5;

/**
 * Occupancy of one stream (one direction, one byte-stream id) in space-time. A value flowing east written at
 * position p in cycle t is at p + k in cycle t + k, so it keeps its "wavefront" w = t - p (west: w = t + p). A run
 * of n vectors occupying positions [lo, hi] is the rectangle w in [w0, w0 + n) x positions [lo, hi].
 * Rectangles are records of one Int32Array (no object per rectangle), sorted by w0, each with the running maximum
 * of w1 over the records up to it: a query walks back from the last rectangle starting before its end only while
 * some rectangle at or before the current one still ends after its start. (Walking forward from w0 minus the
 * longest rectangle ever added scanned ~500 rectangles per instruction on llama2-70b: one long run widened every
 * query.)
 */
export class StreamTable {
  // 64 rectangles to start (a stream's table holds hundreds on a large program), growing as IntervalSet's.
  private r: Int32Array;
  private n = 0;

  /** `slab`: as IntervalSet's. */
  constructor(private readonly slab: Pick<Int32Slab, "take" | "give"> = OWN) {
    this.r = slab.take(64 * RECORD);
  }

  conflict(w0: number, w1: number, lo: number, hi: number): number {
    let need = 0;
    const r = this.r;
    for (let i = this.lowerBound(w1) - 1; i >= 0 && r[i * RECORD + MAX_W1]! > w0; i--) {
      const at = i * RECORD;
      const r1 = r[at + W1]!;
      if (r1 > w0 && r[at + LO]! <= hi && lo <= r[at + HI]! && r1 - w0 > need) need = r1 - w0;
    }
    return need;
  }

  add(w0: number, w1: number, lo: number, hi: number): void {
    int32(w0);
    int32(w1);
    int32(lo);
    int32(hi);
    const n = this.n;
    if ((n + 1) * RECORD > this.r.length) {
      const grown = this.slab.take(this.r.length * 4);
      grown.set(this.r);
      this.slab.give(this.r);
      this.r = grown;
    }
    const r = this.r;
    // After every rectangle with a smaller w0 and before those with an equal or larger one (the order among equal
    // w0 does not change a query's answer: the maximum over every overlap).
    const i = this.lowerBound(w0);
    const before = i > 0 ? r[(i - 1) * RECORD + MAX_W1]! : w1;
    if (i < n) r.copyWithin((i + 1) * RECORD, i * RECORD, n * RECORD);
    const at = i * RECORD;
    r[at + W0] = w0;
    r[at + W1] = w1;
    r[at + LO] = lo;
    r[at + HI] = hi;
    r[at + MAX_W1] = Math.max(before, w1);
    for (let j = i + 1; j <= n && r[j * RECORD + MAX_W1]! < w1; j++) r[j * RECORD + MAX_W1] = w1;
    this.n = n + 1;
  }

  /** The first record with w0 >= w: searched from the end as IntervalSet.firstEndAfter is. */
  private lowerBound(w: number): number {
    const r = this.r;
    let hi = this.n;
    let step = 1;
    while (hi - step >= 0 && r[(hi - step) * RECORD + W0]! >= w) {
      hi -= step;
      step *= 2;
    }
    let lo = Math.max(0, hi - step + 1);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid * RECORD + W0]! < w) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What a reservation holds: a queue's issue slot or unit resource, a bank port, or a stream. */
export type ResKind = typeof QUEUE | typeof BANK | typeof STREAM;
export const QUEUE = 0;
export const BANK = 1;
export const STREAM = 2;

/**
 * The reservations of one task under trial, flat (parallel arrays, reused from task to task): kind, table id and
 * either the interval [a, b) (queue, bank) or the rectangle wavefronts [a, b) x positions [lo, hi] (stream).
 * `length` may be cut back to drop a trial's tail without freeing anything.
 */
export class ResBuffer {
  readonly kind: ResKind[] = [];
  readonly key: number[] = [];
  readonly a: number[] = [];
  readonly b: number[] = [];
  readonly lo: number[] = [];
  readonly hi: number[] = [];
  length = 0;

  push(kind: ResKind, key: number, a: number, b: number, lo = 0, hi = 0): void {
    const i = this.length++;
    this.kind[i] = kind;
    this.key[i] = key;
    this.a[i] = a;
    this.b[i] = b;
    this.lo[i] = lo;
    this.hi[i] = hi;
  }
}

/** Tables by dense integer id below a known count, created on first use. The slots are filled with `undefined` up
 * front, one push at a time: an array first written at a large index (a bank id on the 30th chip) turns into a
 * dictionary, and every lookup was a hash probe (`get` and `peek` were 4% of a large compile's profile). */
export class TableArray<T> {
  private readonly tables: (T | undefined)[] = [];
  constructor(
    size: number,
    private readonly make: () => T,
  ) {
    for (let i = 0; i < size; i++) this.tables.push(undefined);
  }
  get(id: number): T {
    let t = this.tables[id];
    if (!t) {
      invariant(id < this.tables.length, `table ${id} out of range`);
      t = this.make();
      this.tables[id] = t;
    }
    return t;
  }
  peek(id: number): T | undefined {
    return this.tables[id];
  }
}
