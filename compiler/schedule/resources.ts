// Reservation tables for the scheduler: per-queue busy time, per-bank port cycles, and per-stream occupancy in
// space-time. Every table answers "is this free?" with the cycle delay that would clear the first conflict, so a
// search can jump instead of stepping one cycle at a time; everything is run-length (intervals, rectangles), so
// the cost grows with instructions, not with vectors.
// Contract: `conflict` returns 0 when the request is free; otherwise a positive shift that is necessary (never
// skips a feasible start) for the request as a whole to be free.

/** Disjoint half-open intervals [start, end), kept sorted. */
export class IntervalSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** 0 when [s, e) is free, else how far the request must move later to clear the first overlap. */
  conflict(s: number, e: number): number {
    if (e <= s) return 0;
    // A request after the last interval (the common case: queues fill roughly in time order) needs no search.
    const n = this.ends.length;
    if (n === 0 || this.ends[n - 1]! <= s) return 0;
    const i = this.firstEndAfter(s);
    if (i < this.starts.length && this.starts[i]! < e) return this.ends[i]! - s;
    return 0;
  }

  add(s: number, e: number): void {
    if (e <= s) return;
    const n = this.ends.length;
    if (n === 0 || this.ends[n - 1]! <= s) {
      this.starts.push(s);
      this.ends.push(e);
      return;
    }
    const i = this.firstEndAfter(s);
    if (i < this.starts.length && this.starts[i]! < e)
      throw new Error(`internal error: interval [${s}, ${e}) overlaps [${this.starts[i]}, ${this.ends[i]})`);
    this.starts.splice(i, 0, s);
    this.ends.splice(i, 0, e);
  }

  /** Every interval, in order. */
  intervals(): [number, number][] {
    return this.starts.map((s, i) => [s, this.ends[i]!]);
  }

  /** Index of the first interval whose end is after x (intervals are disjoint and sorted, so ends are too). */
  private firstEndAfter(x: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Occupancy of one stream (one direction, one byte-stream id) in space-time. A value flowing east written at
 * position p in cycle t is at p + k in cycle t + k, so it keeps its "wavefront" w = t - p (west: w = t + p). A run
 * of n vectors occupying positions [lo, hi] is the rectangle w in [w0, w0 + n) x positions [lo, hi].
 * Rectangles are kept sorted by w0 in parallel number arrays (no object per rectangle), with the running maximum
 * of w1 over each prefix: a query walks back from the last rectangle starting before its end only while some
 * rectangle at or before the current one still ends after its start. (Walking forward from w0 minus the longest
 * rectangle ever added scanned ~500 rectangles per instruction on llama2-70b: one long run widened every query.)
 */
export class StreamTable {
  private readonly w0s: number[] = [];
  private readonly w1s: number[] = [];
  private readonly los: number[] = [];
  private readonly his: number[] = [];
  /** maxW1[i] = max(w1s[0..i]): non-decreasing. */
  private readonly maxW1: number[] = [];

  conflict(w0: number, w1: number, lo: number, hi: number): number {
    let need = 0;
    for (let i = this.lowerBound(w1) - 1; i >= 0 && this.maxW1[i]! > w0; i--) {
      const r1 = this.w1s[i]!;
      if (r1 > w0 && this.los[i]! <= hi && lo <= this.his[i]! && r1 - w0 > need) need = r1 - w0;
    }
    return need;
  }

  add(w0: number, w1: number, lo: number, hi: number): void {
    // After any rectangle with the same w0 (as inserting at the first w0 >= it did, order among equal w0 does not
    // change a query's answer: the maximum over every overlap).
    const i = this.lowerBound(w0);
    const before = i > 0 ? this.maxW1[i - 1]! : Number.NEGATIVE_INFINITY;
    if (i === this.w0s.length) {
      this.w0s.push(w0);
      this.w1s.push(w1);
      this.los.push(lo);
      this.his.push(hi);
      this.maxW1.push(Math.max(before, w1));
    } else {
      this.w0s.splice(i, 0, w0);
      this.w1s.splice(i, 0, w1);
      this.los.splice(i, 0, lo);
      this.his.splice(i, 0, hi);
      this.maxW1.splice(i, 0, Math.max(before, w1));
      for (let j = i + 1; j < this.maxW1.length && this.maxW1[j]! < w1; j++) this.maxW1[j] = w1;
    }
  }

  private lowerBound(w: number): number {
    let lo = 0;
    let hi = this.w0s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.w0s[mid]! < w) lo = mid + 1;
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

/** Tables by dense integer id, created on first use. */
export class TableArray<T> {
  private readonly tables: (T | undefined)[] = [];
  constructor(private readonly make: () => T) {}
  get(id: number): T {
    let t = this.tables[id];
    if (!t) {
      t = this.make();
      this.tables[id] = t;
    }
    return t;
  }
  peek(id: number): T | undefined {
    return this.tables[id];
  }
}
