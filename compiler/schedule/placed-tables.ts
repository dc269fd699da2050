// The reservations of the placed tasks, by kind (queues, banks, streams) and table id (trial.ts): in, a placed
// task's reservations (commit); out, a request's conflict with them, the shift that clears it. Tables only grow: a
// placed task's reservations are never taken back.
import {
  Int32Slab,
  IntervalSet,
  QUEUE,
  type ResBuffer,
  type ResKind,
  STREAM,
  StreamTable,
  TableArray,
} from "./resources.ts";

/** lastEnd of a table with nothing placed: below every cycle and wavefront. */
const EMPTY = -(2 ** 31);
/** Fields of PlacedTables.streamLast. */
const LAST_W0 = 0;
const LAST_LO = 1;
const LAST_HI = 2;

export class PlacedTables {
  readonly queues: TableArray<IntervalSet>;
  readonly banks: TableArray<IntervalSet>;
  readonly streams: TableArray<StreamTable>;
  /** Per table, by kind: the end of its last interval (queues, banks) or the largest wavefront end of its
   * rectangles (streams); EMPTY when nothing is placed. A request starting at or after it is free without reading
   * the table: one read of a flat array instead of three dependent ones (table, its object, its records), which
   * were the largest single cost of the placement search on large programs (cache misses). */
  readonly lastEnd: readonly [Int32Array, Int32Array, Int32Array];
  /** Per queue and bank table, the start of its last interval (the one ending at lastEnd); per stream table, the
   * first wavefront and the positions of a rectangle ending at lastEnd (LAST_W0, LAST_LO, LAST_HI of 3 per id).
   * When that entry overlaps a request (the common "busy now" case of a candidate ALU or stream), the table's answer
   * follows from it alone: no interval ends after it (a request starting inside it meets it first) and no
   * rectangle ends later. Otherwise the table is read. */
  readonly lastStart: readonly [Int32Array, Int32Array];
  private readonly streamLast: Int32Array;

  /** `q`, `b`, `s`: the number of queue, bank and stream tables. */
  constructor(q: number, b: number, s: number) {
    // Every table's arrays from one slab (resources.ts): no backing store per table and growth.
    const slab = new Int32Slab();
    this.queues = new TableArray(q, () => new IntervalSet(slab));
    this.banks = new TableArray(b, () => new IntervalSet(slab));
    this.streams = new TableArray(s, () => new StreamTable(slab));
    this.lastEnd = [
      new Int32Array(q).fill(EMPTY),
      new Int32Array(b).fill(EMPTY),
      new Int32Array(s).fill(EMPTY),
    ];
    this.lastStart = [new Int32Array(q), new Int32Array(b)];
    this.streamLast = new Int32Array(3 * s);
  }

  /** Commits a placed task's reservations (a trial's buffer after a successful try) to the tables. */
  commit(buf: ResBuffer): void {
    const { kind, key, a, b, lo, hi } = buf;
    for (let r = 0; r < buf.length; r++) {
      const k = kind[r]!;
      const id = key[r]!;
      const last = this.lastEnd[k];
      if (k === STREAM) this.streams.get(id).add(a[r]!, b[r]!, lo[r]!, hi[r]!);
      else if (b[r]! <= a[r]!)
        continue; // an empty interval is not kept
      else if (a[r]! >= last[id]!) (k === QUEUE ? this.queues : this.banks).get(id).append(a[r]!, b[r]!);
      else (k === QUEUE ? this.queues : this.banks).get(id).add(a[r]!, b[r]!);
      if (b[r]! > last[id]!) {
        last[id] = b[r]!;
        if (k !== STREAM) this.lastStart[k][id] = a[r]!;
        else {
          this.streamLast[3 * id + LAST_W0] = a[r]!;
          this.streamLast[3 * id + LAST_LO] = lo[r]!;
          this.streamLast[3 * id + LAST_HI] = hi[r]!;
        }
      }
    }
  }

  /** A queue or bank table's conflict with [s, e), which ends after s: from its last interval when the request
   * starts inside it, else from the table. */
  conflict(k: ResKind, id: number, s: number, e: number): number {
    if (e <= s) return 0;
    if (this.lastStart[k as 0 | 1][id]! <= s) return this.lastEnd[k][id]! - s;
    return (k === QUEUE ? this.queues : this.banks).peek(id)?.conflict(s, e) ?? 0;
  }

  /** A stream table's conflict with a rectangle that starts before the table's last wavefront end (lastEnd > w0):
   * lastEnd - w0 when the rectangle ending there overlaps it (no overlap can need more), else from the table. */
  streamConflict(id: number, w0: number, w1: number, lo: number, hi: number): number {
    const last = this.streamLast;
    if (last[3 * id + LAST_W0]! < w1 && last[3 * id + LAST_LO]! <= hi && lo <= last[3 * id + LAST_HI]!)
      return this.lastEnd[STREAM][id]! - w0;
    return this.streams.peek(id)?.conflict(w0, w1, lo, hi) ?? 0;
  }
}
