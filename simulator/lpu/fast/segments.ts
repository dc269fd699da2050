// Stream traffic of one chip as runs on diagonals (the run-length fast path, fast/run.ts). In: every put and take of
// a timing-only run, each instruction's vectors as one segment (group, first diagonal, length, flow position y,
// put or take). Out: whether the per-vector rules of streams.ts would report nothing, decided per elementary
// interval of diagonals instead of per vector.
//
// Why diagonals: a word put on group g at (p, t) lives on diagonal d = t - p (east; west d = t + p) and is seen at
// (q, t + (q - p)). On one diagonal the operations happen in the order of y = t - d (east: the position; west: minus
// the position), puts before takes at equal y (docs/isa.md "put, then take"), and nothing on another diagonal
// touches them (streams.ts). So the per-vector engine reports nothing on a diagonal iff, walking its operations by
// y: every take comes after some put, and between two puts there is a take (a take at the first put's y counts; one
// at the second's does not). Two puts at the same y are an overwrite. Across an interval of diagonals covered by
// the same segments the answer is the same, so the check costs per interval, not per vector.
import { Bail } from "./bail.ts";

export const SEG_PUT = 0;
export const SEG_TAKE = 1;

/**
 * Numbers per segment record in a group's list: first diagonal, length, and the key 2y + kind, as 32-bit integers (a
 * diagonal or a length beyond them leaves the run to the exact engine): 12 bytes a segment, so a chip's half a million
 * segments stay small enough for the cache and allocate half the external memory of doubles.
 */
const REC = 3;
/** Radix sort digits: RADIX_BITS bits, so two passes order keys below 2^(2 * RADIX_BITS) apart. */
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;

export class Segments {
  /**
   * Per group, its segments as records of REC numbers in append order, and their count. A group's records are
   * contiguous, so the check reads one group's few kilobytes in order instead of the whole chip's arrays by index,
   * and no pass over all segments buckets them by group first.
   */
  private readonly data: Int32Array[];
  private readonly size: Int32Array;
  /** Per (group, kind): the last record appended by the current queue, to extend it when the next is adjacent. */
  private readonly last: Int32Array;
  /** Segments stored over the chip (records, after extensions). */
  count = 0;

  constructor(private readonly groups: number) {
    this.data = Array.from({ length: groups }, () => new Int32Array(REC * 64));
    this.size = new Int32Array(groups);
    this.last = new Int32Array(groups * 2).fill(-1);
  }

  /** Empties the store for the next chip (keeps its arrays: one store serves every chip of a run). */
  reset(): void {
    this.count = 0;
    this.size.fill(0);
    this.last.fill(-1);
  }

  /** A new queue starts: its segments never extend another queue's (positions differ anyway). */
  newQueue(): void {
    this.last.fill(-1);
  }

  /**
   * `n` vectors of each of the `count` groups g0 .. g0 + count - 1 (byte planes, or an lw's groups: one direction) at
   * position pos, cycles c0 .. c0 + n - 1 (S: streams per direction).
   */
  add(kind: number, g0: number, count: number, S: number, pos: number, c0: number, n: number): void {
    const west = g0 >= S;
    const d0 = west ? c0 + pos : c0 - pos;
    if ((d0 | 0) !== d0) throw new Bail("a number beyond 32-bit integers");
    // y = -pos going west, written as kind - 2 pos so that pos 0 gives +0, never -0 (which would leave small-integer
    // code in the optimised function: a deoptimisation).
    const yk = west ? kind - 2 * pos : 2 * pos + kind;
    for (let g = g0; g < g0 + count; g++) this.addOne(kind, g, d0, yk, n);
  }

  private addOne(kind: number, g: number, d0: number, yk: number, n: number): void {
    const key = g * 2 + kind;
    let d = this.data[g]!;
    const j = this.last[key]!;
    if (j >= 0) {
      const r = j * REC;
      if (d[r + 2] === yk && d[r]! + d[r + 1]! === d0) {
        const len = d[r + 1]! + n;
        if ((len | 0) !== len) throw new Bail("a number beyond 32-bit integers");
        d[r + 1] = len;
        return;
      }
    }
    const i = this.size[g]!;
    const r = i * REC;
    if (r + REC > d.length) {
      const bigger = new Int32Array(d.length * 2);
      bigger.set(d);
      this.data[g] = d = bigger;
    }
    d[r] = d0;
    d[r + 1] = n;
    d[r + 2] = yk;
    this.size[g] = i + 1;
    this.last[key] = i;
    this.count++;
  }

  /** Throws Bail unless every diagonal of every group passes the rules above. */
  check(): void {
    for (let g = 0; g < this.groups; g++) {
      const m = this.size[g]!;
      if (m === 0) continue;
      this.sweep(this.data[g]!, this.sortedByDiagonal(this.data[g]!, m), m);
    }
  }

  /** Sort buffers: record numbers, two of them swapped per pass (scratch, grown as needed). */
  private ordA = new Int32Array(64);
  private ordB = new Int32Array(64);
  private runs = new Int32Array(64);
  private readonly counts = new Int32Array(RADIX + 1);
  /** Each record's diagonal minus the group's first, for the radix passes. */
  private radixKey = new Int32Array(64);

  /**
   * The group's m records sorted by first diagonal, stably, as record numbers. A queue's segments on a group come in
   * time order, so the list is a few sorted runs, one per queue that touches the group: a handful of runs are merged
   * (O(m log runs)); more, interleaved vector by vector as a put and its takes are, go to a two-digit radix sort,
   * whose passes cost the same whatever the order (no mispredicted comparison per element).
   */
  private sortedByDiagonal(d: Int32Array, m: number): Int32Array {
    if (this.ordA.length < m) {
      this.ordA = new Int32Array(2 * m);
      this.ordB = new Int32Array(2 * m);
    }
    let runs = this.runs;
    let r = 0;
    let prev = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < m; j++) {
      const key = d[j * REC]!;
      if (key < prev || j === 0) {
        if (r + 2 > runs.length) {
          const bigger = new Int32Array(2 * runs.length);
          bigger.set(runs);
          this.runs = runs = bigger;
        }
        runs[r++] = j;
      }
      prev = key;
      if (key < lo) lo = key;
      if (key > hi) hi = key;
    }
    runs[r] = m;
    if (r === 1) {
      const ord = this.ordA;
      for (let j = 0; j < m; j++) ord[j] = j;
      return ord;
    }
    // Radix when merging would take three passes or more and the keys (whole cycles) span two digits.
    if (r > 4 && m > RADIX && hi - lo < RADIX * RADIX) return this.radix(d, m, lo);
    return this.merge(d, m, r);
  }

  /** LSD radix sort of the records by first diagonal minus lo (two RADIX_BITS digits; stable by construction). */
  private radix(d: Int32Array, m: number, lo: number): Int32Array {
    const counts = this.counts;
    if (this.radixKey.length < m) this.radixKey = new Int32Array(this.ordA.length);
    const key = this.radixKey;
    for (let j = 0; j < m; j++) key[j] = d[j * REC]! - lo;
    let src = this.ordA;
    let dst = this.ordB;
    for (let j = 0; j < m; j++) src[j] = j;
    for (let shift = 0; shift < 2 * RADIX_BITS; shift += RADIX_BITS) {
      counts.fill(0);
      for (let j = 0; j < m; j++) counts[((key[j]! >>> shift) & (RADIX - 1)) + 1]!++;
      for (let k = 0; k < RADIX; k++) counts[k + 1]! += counts[k]!;
      for (let j = 0; j < m; j++) {
        const s = src[j]!;
        dst[counts[(key[s]! >>> shift) & (RADIX - 1)]!++] = s;
      }
      const t = src;
      src = dst;
      dst = t;
    }
    return src;
  }

  /** Natural merge sort of the records' r runs (starts in this.runs, m closing), pairwise, stable. */
  private merge(d: Int32Array, m: number, r: number): Int32Array {
    const runs = this.runs;
    let src = this.ordA;
    let dst = this.ordB;
    for (let j = 0; j < m; j++) src[j] = j;
    while (r > 1) {
      // Merge runs pairwise (2k, 2k + 1) into dst; an odd last run is copied.
      let w = 0;
      for (let k = 0; k < r; k += 2) {
        const lo = runs[k]!;
        const mid = runs[k + 1]!;
        const hi = k + 2 <= r ? runs[k + 2]! : mid;
        runs[w++] = lo;
        let i = lo;
        let j = mid;
        let o = lo;
        while (i < mid && j < hi) {
          const x = src[i]!;
          const y = src[j]!;
          // Ties take the left run first: stable, as the rules need equal diagonals in append order.
          if (d[y * REC]! < d[x * REC]!) {
            dst[o++] = y;
            j++;
          } else {
            dst[o++] = x;
            i++;
          }
        }
        while (i < mid) dst[o++] = src[i++]!;
        while (j < hi) dst[o++] = src[j++]!;
      }
      runs[w] = m;
      r = w;
      const t = src;
      src = dst;
      dst = t;
    }
    return src;
  }

  /** The segments covering the current diagonal, and their (y, kind) keys sorted (scratch, grown as needed). */
  private active = new Int32Array(16);
  private keys = new Int32Array(16);
  /** The group's records while one is swept (checkActive reads their keys). */
  private swept: Int32Array = new Int32Array(0);

  /** Walks the group's elementary intervals of diagonals: `list` holds its m records in diagonal order. */
  private sweep(d: Int32Array, list: Int32Array, m: number): void {
    this.swept = d;
    let active = this.active;
    let count = 0;
    let i = 0;
    let x = 0;
    while (i < m || count > 0) {
      if (count === 0) x = d[list[i]! * REC]!;
      while (i < m && d[list[i]! * REC]! === x) {
        if (count === active.length) {
          const bigger = new Int32Array(active.length * 2);
          bigger.set(active);
          this.active = active = bigger;
        }
        active[count++] = list[i++]! * REC;
      }
      let nx = i < m ? d[list[i]! * REC]! : Number.POSITIVE_INFINITY;
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        const e = d[s]! + d[s + 1]!;
        if (e < nx) nx = e;
      }
      this.checkActive(active, count);
      x = nx;
      let keep = 0;
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        if (d[s]! + d[s + 1]! > x) active[keep++] = s;
      }
      count = keep;
    }
  }

  /** The rules on one diagonal, whose operations are the `count` active segments. */
  private checkActive(active: Int32Array, count: number): void {
    const d = this.swept;
    if (count === 1) {
      if ((d[active[0]! + 2]! & 1) === SEG_TAKE) throw new Bail("a take with no put upstream");
      return;
    }
    if (this.keys.length < count) this.keys = new Int32Array(2 * count);
    const keys = this.keys;
    // Insertion sort by y, puts before takes at equal y (key 2y + kind): a handful of segments.
    for (let n = 0; n < count; n++) {
      const s = active[n]!;
      const key = d[s + 2]!;
      let j = n;
      while (j > 0 && keys[j - 1]! > key) {
        keys[j] = keys[j - 1]!;
        j--;
      }
      keys[j] = key;
    }
    let seenPut = false;
    let takenSince = true;
    for (let j = 0; j < count; j++) {
      if ((keys[j]! & 1) === SEG_PUT) {
        if (!takenSince) throw new Bail("a put over an untaken word");
        seenPut = true;
        takenSince = false;
      } else {
        if (!seenPut) throw new Bail("a take with no put upstream");
        takenSince = true;
      }
    }
  }
}
