// The scheduler's instructions as they are placed -> per queue, the program's typed-array columns (InstColumns,
// arch/isa.ts) sorted by issue cycle, plus what the schedule adds per instruction (busy cycles, resource, the order
// it was made in). Guarantees: no object is kept per instruction, and each queue's columns equal those of its
// instructions added in cycle order to a builder of their own, so emit hands them on as they are.
import { ColumnsBuilder } from "../../arch/columns-build.ts";
import type { Instruction, QueueRef } from "../../arch/isa.ts";
import { invariant } from "../../util/assert.ts";
import { offHeapBuffer, offHeapFloat64, offHeapInt32, offHeapUint8 } from "../../util/off-heap.ts";
import { KIND_ORDER, type QueueInsts, RESOURCES, type Resource } from "./schedule-ir.ts";

/** Per resource name its code (RESOURCES index). */
const RESOURCE_CODE = Object.fromEntries(RESOURCES.map((r, k) => [r, k])) as Record<Resource, number>;

/**
 * Every instruction goes into one builder in the order it is placed, with its queue's number beside it; `finish`
 * sorts them into queues. One builder (its buffers double as it fills) rather than one per queue: V8 starts a
 * collection of the whole heap for every 64 MB of new array buffers, and thousands of queues each doubling its own
 * buffers allocated several times the final columns (llama2-70b, two layers: 1.3 s more scheduling than objects).
 */
export class InstSink {
  private rows: ColumnsBuilder;
  private busy: Int32Array = new Int32Array(1024);
  private resource: Uint8Array = new Uint8Array(1024);
  private queueOf: Int32Array = new Int32Array(1024);
  /** Per row its note (index in `notes`, -1: none), kept beside the builder's so `finish` maps notes to tasks by
   * number, not by looking their text up. */
  private noteOf: Int32Array = new Int32Array(1024);
  /** Queues by number, in the order first met; and the number of each, by chip, queue kind and queue index. */
  private readonly queues: { readonly chip: number; readonly queue: QueueRef }[] = [];
  private readonly numbers: number[][][] = [];

  /** `notes`: the task ids, then "deskew" (the note of every row: add's `task` is its index here). */
  constructor(private readonly notes: readonly string[]) {
    this.rows = new ColumnsBuilder(1024, notes, true);
  }

  /** The note of a deskew (the last of the sink's notes). */
  get deskewNote(): number {
    return this.notes.length - 1;
  }

  /** Instructions added so far. */
  get count(): number {
    return this.rows.length;
  }

  /** The number of queue `q` of `chip` (looked up once per unit instance, not per instruction). */
  queue(chip: number, q: QueueRef): number {
    while (this.numbers.length <= chip) this.numbers.push([[], [], [], [], []]);
    const byIndex = this.numbers[chip]![KIND_ORDER[q.kind]]!;
    let k = byIndex[q.index] ?? -1;
    if (k < 0) {
      while (byIndex.length < q.index) byIndex.push(-1);
      k = this.queues.length;
      this.queues.push({ chip, queue: q });
      byIndex[q.index] = k;
    }
    return k;
  }

  /** Appends one instruction to queue number `queue`; `note`: its index in the sink's notes (its task's). */
  add(queue: number, inst: Instruction, cycle: number, busy: number, resource: Resource, note: number): void {
    const row = this.rows.length;
    if (row === this.busy.length) {
      const cap = 2 * row;
      this.busy = grown(offHeapInt32(cap), this.busy);
      this.resource = grown(offHeapUint8(cap), this.resource);
      this.queueOf = grown(offHeapInt32(cap), this.queueOf);
      this.noteOf = grown(offHeapInt32(cap), this.noteOf);
    }
    this.rows.addNoted(inst, cycle, note);
    this.busy[row] = busy;
    this.resource[row] = RESOURCE_CODE[resource];
    this.queueOf[row] = queue;
    this.noteOf[row] = note;
  }

  /** Every queue that has instructions, by chip, queue kind and queue index, each sorted by issue cycle (a queue
   * issues at most one instruction per cycle; equal cycles, which verifySchedule reports, keep the order they were
   * placed in). Each queue's columns, and its schedule's fields, are carved from one buffer each (two allocations,
   * not two per queue); its `noteTask` is each of its notes' task (the note's number; -1: the deskew). */
  finish(): QueueInsts[] {
    const n = this.rows.length;
    const q = this.queues.length;
    const byQueue = this.queues.map((_, k) => k);
    byQueue.sort((x, y) => {
      const [a, b] = [this.queues[x]!, this.queues[y]!];
      return (
        a.chip - b.chip ||
        KIND_ORDER[a.queue.kind] - KIND_ORDER[b.queue.kind] ||
        a.queue.index - b.queue.index
      );
    });
    const rank = offHeapInt32(q);
    byQueue.forEach((k, r) => {
      rank[k] = r;
    });
    // The rows by queue (a counting sort: each queue's rows in the order they were placed), then by cycle.
    const starts = offHeapInt32(q + 1);
    for (let r = 0; r < n; r++) starts[rank[this.queueOf[r]!]! + 1]!++;
    let longest = 0;
    for (let k = 1; k <= q; k++) {
      longest = Math.max(longest, starts[k]!);
      starts[k]! += starts[k - 1]!;
    }
    const order = offHeapInt32(n);
    const fill = starts.slice(0, q);
    for (let r = 0; r < n; r++) order[fill[rank[this.queueOf[r]!]!]!++] = r;
    let columnBytes = 0;
    let fieldBytes = 0;
    // The sort's arrays, made once for the longest queue: three buffers per queue were thousands of buffers (15 MB
    // on the fp16 llama2-70b cut to 4 layers), each counted towards V8's next full collection (64 MB of them).
    const scratch = {
      cycles: offHeapFloat64(longest),
      keys: offHeapFloat64(longest),
      placed: offHeapInt32(longest),
    };
    for (let k = 0; k < q; k++) {
      const rows = order.subarray(starts[k]!, starts[k + 1]!);
      this.sortByCycle(rows, scratch);
      columnBytes += ColumnsBuilder.bytes(rows.length);
      fieldBytes += 9 * ((rows.length + 7) & ~7);
    }
    const columnBuffer = offHeapBuffer(columnBytes);
    const fieldBuffer = offHeapBuffer(fieldBytes);
    const out: QueueInsts[] = [];
    // Per note, the last queue that met it; the notes a queue meets, in the order its columns number them (by
    // first use in cycle order, as ColumnsBuilder.rowsInto does).
    const metIn = offHeapInt32(this.notes.length).fill(-1);
    let met = offHeapInt32(64);
    const deskew = this.deskewNote;
    let at = 0;
    let fieldAt = 0;
    for (let k = 0; k < q; k++) {
      const rows = order.subarray(starts[k]!, starts[k + 1]!);
      const m = rows.length;
      const columns = this.rows.rowsInto(rows, columnBuffer, at);
      at += ColumnsBuilder.bytes(m);
      const span = (m + 7) & ~7;
      const busy = new Int32Array(fieldBuffer, fieldAt, m);
      const seq = new Int32Array(fieldBuffer, fieldAt + 4 * span, m);
      const resource = new Uint8Array(fieldBuffer, fieldAt + 8 * span, m);
      fieldAt += 9 * span;
      if (met.length < m) met = offHeapInt32(Math.max(m, 2 * met.length));
      let notes = 0;
      for (let j = 0; j < m; j++) {
        const r = rows[j]!;
        busy[j] = this.busy[r]!;
        seq[j] = r;
        resource[j] = this.resource[r]!;
        const note = this.noteOf[r]!;
        if (note >= 0 && metIn[note] !== k) {
          metIn[note] = k;
          met[notes++] = note === deskew ? -1 : note;
        }
      }
      invariant(notes === columns.notes.length, "a queue's notes are numbered by first use");
      const noteTask = met.slice(0, notes);
      const { chip, queue } = this.queues[byQueue[k]!]!;
      out.push({ chip, queue, columns, busy, resource, seq, noteTask });
    }
    // The sink is spent: its rows are garbage from here.
    this.rows = new ColumnsBuilder(8, this.notes);
    this.busy = new Int32Array(0);
    this.resource = new Uint8Array(0);
    this.queueOf = new Int32Array(0);
    this.noteOf = new Int32Array(0);
    return out;
  }

  /** One queue's rows (placed order) sorted by issue cycle, ties in placed order: as numbers `cycle * 2^21 + j`
   * (exact below 2^53) without a comparator, else by one. */
  private sortByCycle(rows: Int32Array, scratch: SortScratch): void {
    const m = rows.length;
    const cycles = scratch.cycles;
    let sorted = true;
    let wide = m >= 2 ** 21;
    for (let j = 0; j < m; j++) {
      const c = this.rows.issueCycle(rows[j]!);
      invariant(c !== undefined, "a scheduled instruction has an issue cycle");
      cycles[j] = c;
      if (j > 0 && c < cycles[j - 1]!) sorted = false;
      if (c < 0 || c >= 2 ** 31) wide = true;
    }
    if (sorted) return;
    const placed = scratch.placed;
    placed.set(rows);
    if (!wide) {
      const keys = scratch.keys.subarray(0, m);
      for (let j = 0; j < m; j++) keys[j] = cycles[j]! * 2 ** 21 + j;
      keys.sort();
      for (let j = 0; j < m; j++) rows[j] = placed[keys[j]! % 2 ** 21]!;
      return;
    }
    const idx = Array.from({ length: m }, (_, j) => j).sort((x, y) => cycles[x]! - cycles[y]! || x - y);
    for (let j = 0; j < m; j++) rows[j] = placed[idx[j]!]!;
  }
}

/** sortByCycle's arrays, each as long as the longest queue. */
interface SortScratch {
  readonly cycles: Float64Array;
  readonly keys: Float64Array;
  readonly placed: Int32Array;
}

function grown<T extends Int32Array | Uint8Array>(to: T, from: T): T {
  to.set(from);
  return to;
}
