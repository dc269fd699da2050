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
import * as sorting from "./segment-sort.ts";

// What a record's store and the sweep read per record, as this module's own constants (fast/chip-run.ts: an imported
// binding is read through its module's import cell at each use; docs/performance.md, nineteenth round).
const { REC, SegmentSort } = sorting;

export const SEG_PUT = 0;
export const SEG_TAKE = 1;

/**
 * A record is two numbers: its first diagonal, and its length times 2^KEY_BITS plus its key 2y + kind + KEY_BIAS
 * (12 bits: positions below MAX_POS; the length below 2^19, a longer run being several records end to end). Two
 * numbers instead of three: the store, the sort's copies and the sweep move a third less memory.
 */
const KEY_BITS = 12;
const KEY_MASK = (1 << KEY_BITS) - 1;
const LEN_UNIT = 1 << KEY_BITS;
const KEY_BIAS = 1 << (KEY_BITS - 1);
const MAX_POS = KEY_BIAS / 2 - 1;
const MAX_LEN = 2 ** (31 - KEY_BITS) - 1;

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
  /** Per (group, kind): the end diagonal (may pass 2^31: a float) and key of that last record. */
  private readonly lastEnd: Float64Array;
  private readonly lastKey: Int32Array;
  /** Per group: the least and greatest first diagonal of its records, and 1 while they are in order (for the sort),
   * kept as records are appended. */
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly ordered: Uint8Array;
  /** Segments stored over the chip (records, after extensions). */
  count = 0;
  /** Groups of the chip's check that were sorted (for benchmarks). */
  sorts = 0;

  constructor(readonly groups: number) {
    this.data = Array.from({ length: groups }, () => new Int32Array(REC * 64));
    this.size = new Int32Array(groups);
    this.last = new Int32Array(groups * 2).fill(-1);
    this.lastEnd = new Float64Array(groups * 2);
    this.lastKey = new Int32Array(groups * 2);
    this.lo = new Int32Array(groups);
    this.hi = new Int32Array(groups);
    this.ordered = new Uint8Array(groups);
  }

  /** Empties the store for the next chip (keeps its arrays: one store serves every chip of a run). */
  reset(): void {
    this.count = 0;
    this.sorts = 0;
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
    // The key 2y + kind (y = -pos going west) must fit the record's key bits.
    if (!(pos >= 0 && pos < MAX_POS)) throw new Bail("a stream position beyond the records' key bits");
    // The key biased to be non-negative (an even bias keeps its parity, the kind): KEY_BIAS - 2 pos + kind going west.
    const key = west ? KEY_BIAS + kind - 2 * pos : KEY_BIAS + 2 * pos + kind;
    for (let g = g0; g < g0 + count; g++) this.addOne(kind, g, d0, key, n);
  }

  /** `n` vectors of group g from first diagonal d0 (a 32-bit integer), at position pos (a copy's records stored
   * from its family's log, chip-streams.ts: the same as add() of the operation that made d0). */
  addDiagonal(kind: number, g: number, S: number, pos: number, d0: number, n: number): void {
    const key = g >= S ? KEY_BIAS + kind - 2 * pos : KEY_BIAS + 2 * pos + kind;
    this.addOne(kind, g, d0, key, n);
  }

  /** Records stored in group g. */
  sizeOf(g: number): number {
    return this.size[g]!;
  }

  private addOne(kind: number, g: number, d0: number, key: number, n: number): void {
    const k = g * 2 + kind;
    const j = this.last[k]!;
    // The record to extend ends where this one starts, with the same key (its end and key kept beside `last`, so the
    // check reads no record), and its length still fits its bits.
    if (j >= 0 && this.lastEnd[k] === d0 && this.lastKey[k] === key) {
      const d = this.data[g]!;
      const r = j * REC + 1;
      const packed = d[r]! + n * LEN_UNIT;
      if (packed <= 0x7fffffff) {
        d[r] = packed;
        this.lastEnd[k] = d0 + n;
        return;
      }
    }
    // A run longer than a record's length holds is several records end to end (the same operations on each diagonal).
    while (n > MAX_LEN) {
      this.append(k, g, d0, key, MAX_LEN);
      d0 += MAX_LEN;
      if ((d0 | 0) !== d0) throw new Bail("a number beyond 32-bit integers");
      n -= MAX_LEN;
    }
    this.append(k, g, d0, key, n);
  }

  /** A new record (d0, n vectors, key) of group g, the last of its kind k = 2g + kind for the next extension. */
  private append(k: number, g: number, d0: number, key: number, n: number): void {
    let d = this.data[g]!;
    const i = this.size[g]!;
    const r = i * REC;
    if (r + REC > d.length) {
      const bigger = new Int32Array(d.length * 2);
      bigger.set(d);
      this.data[g] = d = bigger;
    }
    if (i === 0) {
      this.lo[g] = this.hi[g] = d0;
      this.ordered[g] = 1;
    } else {
      if (d0 < d[r - REC]!) this.ordered[g] = 0;
      if (d0 < this.lo[g]!) this.lo[g] = d0;
      if (d0 > this.hi[g]!) this.hi[g] = d0;
    }
    d[r] = d0;
    d[r + 1] = n * LEN_UNIT + key;
    this.size[g] = i + 1;
    this.last[k] = i;
    this.lastEnd[k] = d0 + n;
    this.lastKey[k] = key;
    this.count++;
  }

  /** Throws Bail unless every diagonal of every group passes the rules above. Every record is swept. */
  check(): void {
    for (let g = 0; g < this.groups; g++) {
      const m = this.size[g]!;
      if (m === 0) continue;
      const d = this.data[g]!;
      if (this.ordered[g] === 0) this.sorts++;
      this.sweep(this.sort.sortedSpan(d, m, this.lo[g]!, this.hi[g]!, this.ordered[g] === 1), m);
    }
  }

  private readonly sort = new SegmentSort();

  /** The segments covering the current diagonal, and their (y, kind) keys sorted (scratch, grown as needed). */
  private active = new Int32Array(16);
  private keys = new Int32Array(16);
  /** The group's records while one is swept (checkActive reads their keys). */
  private swept: Int32Array = new Int32Array(0);

  /** Walks the group's elementary intervals of diagonals: `d` holds its m records in diagonal order. */
  private sweep(d: Int32Array, m: number): void {
    this.swept = d;
    let active = this.active;
    let count = 0;
    let i = 0;
    let x = 0;
    while (i < m || count > 0) {
      if (count === 0) {
        x = d[i * REC]!;
        // Most records (85% on a stamped llama2-70b) are a put and its one take on the same diagonals, with nothing
        // else on them: checked as one diagonal, with no active list.
        const s = i * REC;
        // The same first diagonal and length (the packed numbers differ in their key bits only).
        if (i + 1 < m && d[s + REC] === x && (d[s + REC + 1]! ^ d[s + 1]!) < LEN_UNIT) {
          const end = x + (d[s + 1]! >>> KEY_BITS);
          if (i + 2 >= m || d[s + 2 * REC]! >= end) {
            this.checkPair(d[s + 1]! & KEY_MASK, d[s + REC + 1]! & KEY_MASK);
            i += 2;
            continue;
          }
        }
      }
      while (i < m && d[i * REC]! === x) {
        if (count === active.length) {
          const bigger = new Int32Array(active.length * 2);
          bigger.set(active);
          this.active = active = bigger;
        }
        active[count++] = i++ * REC;
      }
      let nx = i < m ? d[i * REC]! : Number.POSITIVE_INFINITY;
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        const e = d[s]! + (d[s + 1]! >>> KEY_BITS);
        if (e < nx) nx = e;
      }
      this.checkActive(active, count);
      x = nx;
      let keep = 0;
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        if (d[s]! + (d[s + 1]! >>> KEY_BITS) > x) active[keep++] = s;
      }
      count = keep;
    }
  }

  /** The rules on a diagonal of two operations, keys a and b: the usual one, a put and its take downstream. */
  private checkPair(a: number, b: number): void {
    const first = Math.min(a, b);
    const second = Math.max(a, b);
    if ((first & 1) === SEG_TAKE) throw new Bail("a take with no put upstream");
    if ((second & 1) === SEG_PUT) throw new Bail("a put over an untaken word");
  }

  /** The rules on one diagonal, whose operations are the `count` active segments. */
  private checkActive(active: Int32Array, count: number): void {
    const d = this.swept;
    if (count === 1) {
      if ((d[active[0]! + 1]! & 1) === SEG_TAKE) throw new Bail("a take with no put upstream");
      return;
    }
    if (count === 2) {
      this.checkPair(d[active[0]! + 1]! & KEY_MASK, d[active[1]! + 1]! & KEY_MASK);
      return;
    }
    if (this.keys.length < count) this.keys = new Int32Array(2 * count);
    const keys = this.keys;
    // Insertion sort by y, puts before takes at equal y (key 2y + kind): a handful of segments.
    for (let n = 0; n < count; n++) {
      const s = active[n]!;
      const key = d[s + 1]! & KEY_MASK;
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
