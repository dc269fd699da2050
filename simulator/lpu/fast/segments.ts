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

export class Segments {
  g: Int32Array;
  d0: Float64Array;
  len: Float64Array;
  y: Int32Array;
  kind: Uint8Array;
  count = 0;
  /** Per (group, kind): the last segment appended by the current queue, to extend it when the next is adjacent. */
  private readonly last: Int32Array;

  constructor(
    private readonly groups: number,
    capacity = 64,
  ) {
    this.g = new Int32Array(capacity);
    this.d0 = new Float64Array(capacity);
    this.len = new Float64Array(capacity);
    this.y = new Int32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.last = new Int32Array(groups * 2).fill(-1);
  }

  /** Empties the store for the next chip (keeps its arrays: one store serves every chip of a run). */
  reset(): void {
    this.count = 0;
    this.last.fill(-1);
  }

  /** A new queue starts: its segments never extend another queue's (positions differ anyway). */
  newQueue(): void {
    this.last.fill(-1);
  }

  private grow(): void {
    const cap = this.g.length * 2;
    const g = new Int32Array(cap);
    g.set(this.g);
    this.g = g;
    const d0 = new Float64Array(cap);
    d0.set(this.d0);
    this.d0 = d0;
    const len = new Float64Array(cap);
    len.set(this.len);
    this.len = len;
    const y = new Int32Array(cap);
    y.set(this.y);
    this.y = y;
    const kind = new Uint8Array(cap);
    kind.set(this.kind);
    this.kind = kind;
  }

  /** `n` vectors of group g at position pos, cycles c0 .. c0 + n - 1 (S: streams per direction). */
  add(kind: number, g: number, S: number, pos: number, c0: number, n: number): void {
    const west = g >= S;
    const d0 = west ? c0 + pos : c0 - pos;
    const y = west ? -pos : pos;
    const key = g * 2 + kind;
    const j = this.last[key]!;
    if (j >= 0 && this.y[j] === y && this.d0[j]! + this.len[j]! === d0) {
      this.len[j] = this.len[j]! + n;
      return;
    }
    if (this.count === this.g.length) this.grow();
    const i = this.count++;
    this.g[i] = g;
    this.d0[i] = d0;
    this.len[i] = n;
    this.y[i] = y;
    this.kind[i] = kind;
    this.last[key] = i;
  }

  /** Throws Bail unless every diagonal of every group passes the rules above. */
  check(): void {
    const n = this.count;
    if (n === 0) return;
    // Bucket by group (counting sort), then sort each group's segments by first diagonal.
    const G = this.groups;
    const start = new Int32Array(G + 1);
    for (let i = 0; i < n; i++) start[this.g[i]! + 1]!++;
    for (let k = 0; k < G; k++) start[k + 1]! += start[k]!;
    const order = new Int32Array(n);
    const fill = start.slice(0, G);
    for (let i = 0; i < n; i++) order[fill[this.g[i]!]!++] = i;
    for (let k = 0; k < G; k++) {
      const a = start[k]!;
      const b = start[k + 1]!;
      if (b - a === 0) continue;
      this.sweep(this.sortedByDiagonal(order, a, b));
    }
  }

  /** Merge buffers for sortedByDiagonal (scratch, grown as needed). */
  private bufA = new Int32Array(64);
  private bufB = new Int32Array(64);
  private runs = new Int32Array(64);

  /**
   * Segment indices order[a..b) sorted by first diagonal, stably. A queue's segments on a group come in time order,
   * so the list is a few sorted runs, one per queue that touches the group: a natural merge sort costs
   * O(n log runs) and allocates nothing once its buffers have grown.
   */
  private sortedByDiagonal(order: Int32Array, a: number, b: number): Int32Array {
    const m = b - a;
    if (this.bufA.length < m) {
      this.bufA = new Int32Array(2 * m);
      this.bufB = new Int32Array(2 * m);
    }
    const d0 = this.d0;
    let src = this.bufA;
    let dst = this.bufB;
    // Run starts, and m as the end of the last run.
    let runs = this.runs;
    let r = 0;
    for (let j = 0; j < m; j++) {
      const s = order[a + j]!;
      src[j] = s;
      if (j === 0 || d0[s]! < d0[src[j - 1]!]!) {
        if (r + 2 > runs.length) {
          const bigger = new Int32Array(2 * runs.length);
          bigger.set(runs);
          this.runs = runs = bigger;
        }
        runs[r++] = j;
      }
    }
    runs[r] = m;
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
          if (d0[y]! < d0[x]!) {
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
    return src.subarray(0, m);
  }

  /** The segments covering the current diagonal, and their (y, kind) keys sorted (scratch, grown as needed). */
  private active = new Int32Array(16);
  private keys = new Int32Array(16);

  private sweep(list: Int32Array): void {
    const d0 = this.d0;
    const len = this.len;
    let active = this.active;
    let count = 0;
    let i = 0;
    let x = 0;
    while (i < list.length || count > 0) {
      if (count === 0) x = d0[list[i]!]!;
      while (i < list.length && d0[list[i]!]! === x) {
        if (count === active.length) {
          const bigger = new Int32Array(active.length * 2);
          bigger.set(active);
          this.active = active = bigger;
        }
        active[count++] = list[i++]!;
      }
      let nx = i < list.length ? d0[list[i]!]! : Number.POSITIVE_INFINITY;
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        const e = d0[s]! + len[s]!;
        if (e < nx) nx = e;
      }
      this.checkActive(active, count);
      x = nx;
      let keep = 0;
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        if (d0[s]! + len[s]! > x) active[keep++] = s;
      }
      count = keep;
    }
  }

  /** The rules on one diagonal, whose operations are the `count` active segments. */
  private checkActive(active: Int32Array, count: number): void {
    if (count === 1) {
      if (this.kind[active[0]!] === SEG_TAKE) throw new Bail("a take with no put upstream");
      return;
    }
    if (this.keys.length < count) this.keys = new Int32Array(2 * count);
    const keys = this.keys;
    // Insertion sort by y, puts before takes at equal y (key 2y + kind): a handful of segments.
    for (let n = 0; n < count; n++) {
      const s = active[n]!;
      const key = 2 * this.y[s]! + this.kind[s]!;
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
