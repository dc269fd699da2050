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
    const i = this.firstEndAfter(s);
    if (i < this.starts.length && this.starts[i]! < e) return this.ends[i]! - s;
    return 0;
  }

  add(s: number, e: number): void {
    if (e <= s) return;
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
 */
export class StreamTable {
  private readonly rects: { w0: number; w1: number; lo: number; hi: number }[] = [];
  private maxLen = 0;

  conflict(w0: number, w1: number, lo: number, hi: number): number {
    let need = 0;
    // Rectangles are kept sorted by w0; any overlap starts after w0 - maxLen.
    let i = this.lowerBound(w0 - this.maxLen);
    for (; i < this.rects.length; i++) {
      const r = this.rects[i]!;
      if (r.w0 >= w1) break;
      if (r.w1 > w0 && r.lo <= hi && lo <= r.hi) need = Math.max(need, r.w1 - w0);
    }
    return need;
  }

  add(w0: number, w1: number, lo: number, hi: number): void {
    const i = this.lowerBound(w0);
    this.rects.splice(i, 0, { w0, w1, lo, hi });
    this.maxLen = Math.max(this.maxLen, w1 - w0);
  }

  private lowerBound(w: number): number {
    let lo = 0;
    let hi = this.rects.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rects[mid]!.w0 < w) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A keyed family of tables created on first use. */
export class Tables<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly make: () => T) {}
  get(key: string): T {
    let t = this.map.get(key);
    if (!t) {
      t = this.make();
      this.map.set(key, t);
    }
    return t;
  }
  peek(key: string): T | undefined {
    return this.map.get(key);
  }
  entries(): [string, T][] {
    return [...this.map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
