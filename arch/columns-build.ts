// A queue's instructions written as typed-array columns (InstColumns, arch/isa.ts; read by columns.ts): what the
// compiler's emit, the JSON reader and the assembler write, one row per instruction and no object kept per
// instruction. In: instructions one at a time (ColumnsBuilder; the scheduler adds every queue's to one builder and
// takes each queue out with rowsInto), or a queue given as Placed objects (columnsOf). Out: the columns. Guarantee:
// placedAt(columnsFromPlaced(list), k) equals list[k] field for field, every number as it was given.
import type { Span } from "../util/diagnostics.ts";
import { Interner } from "../util/interner.ts";
import { type GrowableBuffer, growableOffHeap, HAS_SHARED, offHeapBuffer } from "../util/off-heap.ts";
import {
  F_ACC,
  F_B,
  F_CYCLE,
  F_IMM,
  F_N,
  F_W0,
  FIELD_A,
  FIELD_B,
  FIELD_CYCLE,
  FIELD_N,
  FIELD_S0,
  placedAt,
  WIDE,
} from "./columns.ts";
import {
  assembled,
  type Carved,
  CODES,
  carve,
  code,
  columnBytes,
  copyRows,
  gatherRows,
  opCode,
  pad,
  renumber,
  renumberStrings,
  typeCode,
} from "./columns-layout.ts";
import type { InstColumns, Instruction, Placed, Program, QueueProgram, QueueRef, StreamRef } from "./isa.ts";

/** Builds the columns of one queue, an instruction at a time (or of several: `rowsInto` takes any of its rows).
 * Its rows live in one buffer that doubles as it fills: few allocations. The buffers are util/off-heap.ts's, which
 * V8 does not count as external memory (a full collection for every 64 MB of it, on a large schedule). */
export class ColumnsBuilder {
  /** Bytes of the columns of `rows` rows (rowsInto's share of a buffer). */
  static bytes(rows: number): number {
    return columnBytes(rows);
  }

  private cap = 0;
  private count = 0;
  /** The rows, `cap` of them, in one buffer. */
  private c: Carved = carve(new ArrayBuffer(0), 0, 0);
  private readonly strings = new Interner();
  private readonly notes: string[];
  /** Notes by text, when the builder numbers them (undefined: a table given, addNoted). */
  private readonly noteIds: Map<string, number> | undefined;
  private wide: Map<number, number> | undefined;
  private spans: Map<number, Span> | undefined;
  /** rowsInto's table of new numbers (columns-layout.ts renumber). */
  private readonly scratch = { to: new Int32Array(0) };

  /** Growable shared buffers, one per column (`growable`), grown in place: no dead copy per doubling. */
  private columns: GrowableBuffer[] | undefined;

  /** `notes`: a table of notes the rows name by number (addNoted) instead of by text (add). `growable`: the
   * columns grow in place (the scheduler's one builder for the whole program, whose doubled-away copies, freed only
   * at a collection, raised the peak resident set by about as much as the final rows). */
  constructor(capacity = 16, notes?: readonly string[], growable = false) {
    if (growable && HAS_SHARED) this.columns = [];
    this.resize(pad(Math.max(8, capacity)));
    this.notes = notes ? (notes as string[]) : [];
    this.noteIds = notes ? undefined : new Map();
  }

  get length(): number {
    return this.count;
  }

  /** The issue cycle of row `row` as added (undefined: none given). */
  issueCycle(row: number): number | undefined {
    if (!(this.c.flags[row]! & F_CYCLE)) return undefined;
    const v = this.c.ints[FIELD_CYCLE]![row]!;
    return v !== WIDE ? v : this.wide!.get(row * 8 + FIELD_CYCLE)!;
  }

  /** Moves the rows into one new buffer of `cap` rows (a multiple of 8). */
  private resize(cap: number): void {
    if (this.columns && cap <= GROWABLE_ROWS) {
      this.c = carveGrowable(this.columns, cap);
      this.cap = cap;
      return;
    }
    this.columns = undefined;
    const c = carve(offHeapBuffer(ColumnsBuilder.bytes(cap)), 0, cap);
    copyRows(c, this.c, this.count);
    this.c = c;
    this.cap = cap;
  }

  private grow(): void {
    this.resize(2 * this.cap);
  }

  private int(field: number, row: number, v: number): void {
    if ((v | 0) === v && v !== WIDE && (v !== 0 || 1 / v > 0)) this.c.ints[field]![row] = v;
    else {
      this.c.ints[field]![row] = WIDE;
      this.wide ??= new Map();
      this.wide.set(row * 8 + field, v);
    }
  }

  private stream(k: 0 | 1 | 2, row: number, s: StreamRef): number {
    this.int(FIELD_S0 + k, row, s.id);
    if (s.dir === "w") return F_W0 << k;
    if (s.dir !== "e") throw new Error(`internal error: stream direction '${s.dir}' is neither e nor w`);
    return 0;
  }

  /** Appends one instruction (its issue cycle, note and span as a Placed carries them). */
  add(inst: Instruction, cycle?: number, note?: string, span?: Span): void {
    let k = -1;
    if (note !== undefined) {
      const ids = this.noteIds;
      if (!ids) throw new Error("internal error: a note by text for a builder given its table of notes");
      k = ids.get(note) ?? -1;
      if (k < 0) {
        k = this.notes.length;
        this.notes.push(note);
        ids.set(note, k);
      }
    }
    this.addNoted(inst, cycle, k, span);
  }

  /** Appends one instruction whose note is entry `note` of the table the builder was given (-1: none). */
  addNoted(inst: Instruction, cycle: number | undefined, note: number, span?: Span): void {
    if (this.count === this.cap) this.grow();
    const r = this.count++;
    let flags = 0;
    if (cycle !== undefined) {
      flags |= F_CYCLE;
      this.int(FIELD_CYCLE, r, cycle);
    }
    this.c.note[r] = note;
    if (span) {
      this.spans ??= new Map();
      this.spans.set(r, span);
    }
    this.c.op[r] = opCode(inst.op);
    this.int(FIELD_N, r, 1);
    switch (inst.op) {
      case "nop":
        this.int(FIELD_N, r, inst.cycles);
        break;
      case "sync":
      case "notify":
        this.int(FIELD_A, r, this.strings.id(inst.token));
        break;
      case "deskew":
        if (inst.n !== undefined) {
          flags |= F_N;
          this.int(FIELD_N, r, inst.n);
        }
        if (inst.period !== undefined) {
          flags |= F_B;
          this.int(FIELD_B, r, inst.period);
        }
        break;
      case "read":
      case "write":
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.addr);
        this.int(FIELD_B, r, inst.stride);
        flags |= this.stream(0, r, inst.stream);
        break;
      case "gather":
      case "scatter":
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.base);
        flags |= this.stream(0, r, inst.stream) | this.stream(1, r, inst.map);
        break;
      case "vunary":
        this.c.fn[r] = code(CODES.vunary, inst.fn, "vunary function");
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "vbinary":
        this.c.fn[r] = code(CODES.vbinary, inst.fn, "vbinary function");
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.a);
        if (typeof inst.b === "number") {
          flags |= F_IMM;
          this.int(FIELD_A, r, inst.b);
        } else flags |= this.stream(2, r, inst.b);
        break;
      case "convert":
        this.c.t0[r] = typeCode(inst.from);
        this.c.t1[r] = typeCode(inst.to);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "vaccum":
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "lw":
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.row0);
        if (inst.width !== undefined) {
          flags |= F_B;
          this.int(FIELD_B, r, inst.width);
        }
        flags |= this.stream(1, r, inst.src);
        break;
      case "iw":
        break;
      case "abc":
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.row0);
        if (inst.accumulate) flags |= F_ACC;
        flags |= this.stream(1, r, inst.src);
        break;
      case "acc":
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.row0);
        flags |= this.stream(0, r, inst.dst);
        break;
      case "sxm":
        this.c.fn[r] = code(CODES.sxm, inst.fn, "sxm function");
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.amount);
        if (inst.map !== undefined) {
          flags |= F_B;
          this.int(FIELD_B, r, this.strings.id(inst.map));
        }
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "send":
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(1, r, inst.src);
        break;
      case "recv":
        this.c.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst);
        break;
      default:
        throw new Error(`internal error: unknown op '${(inst as { op: string }).op}'`);
    }
    this.c.flags[r] = flags;
  }

  /** The columns, carved from one buffer of their exact size (the builder is not used again). */
  finish(): InstColumns {
    const n = this.count;
    const c = carve(offHeapBuffer(ColumnsBuilder.bytes(n)), 0, n);
    copyRows(c, this.c, n);
    return assembled(c, this.strings.names, this.notes, this.wide, this.spans);
  }

  /** The columns of rows `rows` of the builder in that order, carved from `buf` at byte `at` (8-aligned,
   * ColumnsBuilder.bytes(rows.length) bytes free). Notes and strings are numbered by first use among those rows:
   * the columns equal those of the same instructions added to a new builder in that order (the scheduler adds
   * every queue's instructions to one builder as it places them, and takes each queue out sorted by cycle). */
  rowsInto(rows: Int32Array, buf: ArrayBufferLike, at: number): InstColumns {
    const n = rows.length;
    const c = carve(buf, at, n);
    gatherRows(c, this.c, rows);
    const notes = renumber(c.note, this.notes, this.scratch);
    const names = this.strings.names;
    const strings = names.length > 0 ? renumberStrings(c, names, this.scratch) : [];
    let wide: Map<number, number> | undefined;
    if (this.wide)
      for (let k = 0; k < n; k++)
        for (let f = 0; f < 7; f++)
          if (c.ints[f]![k] === WIDE) {
            wide ??= new Map();
            wide.set(k * 8 + f, this.wide.get(rows[k]! * 8 + f)!);
          }
    let spans: Map<number, Span> | undefined;
    if (this.spans)
      for (let k = 0; k < n; k++) {
        const span = this.spans.get(rows[k]!);
        if (!span) continue;
        spans ??= new Map();
        spans.set(k, span);
      }
    return assembled(c, strings, notes, wide, spans);
  }
}

/** The columns of a list of Placed objects. */
export function columnsFromPlaced(list: readonly Placed[]): InstColumns {
  const b = new ColumnsBuilder(list.length);
  for (const p of list) b.add(p.inst, p.cycle, p.note, p.span);
  return b.finish();
}

/** The columns of a queue: its own, or those of its `instructions` converted (a new conversion each call: a list
 * written by hand may change between runs; the compiler, the JSON reader and the assembler give columns). */
export function columnsOf(q: QueueProgram): InstColumns {
  return q.columns ?? columnsFromPlaced(q.instructions);
}

/** The number of instructions of a queue (without converting or materializing them). */
export function queueLength(q: QueueProgram): number {
  return q.columns ? q.columns.count : q.instructions.length;
}

/** A queue whose instructions are `columns`; its `instructions` are built from them on first read and kept.
 * `columns` is not enumerable: a copy made by spreading the queue (`{ ...q, instructions }`, as tests do to change a
 * program) is a queue of objects, whose columns columnsOf builds from its own instructions. */
export function columnQueue(queue: QueueRef, columns: InstColumns): QueueProgram {
  let list: Placed[] | undefined;
  const q = {
    queue,
    get instructions(): readonly Placed[] {
      list ??= Array.from({ length: columns.count }, (_, k) => placedAt(columns, k));
      return list;
    },
  };
  Object.defineProperty(q, "columns", { value: columns, enumerable: false });
  return q as QueueProgram;
}

/** The program with every queue given as objects written into columns (a program built in code, converted once
 * rather than at each simulation of it). */
export function withColumns(p: Program): Program {
  return {
    ...p,
    chips: p.chips.map((c) => ({
      ...c,
      queues: c.queues.map((q) => (q.columns ? q : columnQueue(q.queue, columnsFromPlaced(q.instructions)))),
    })),
  };
}

/** Rows a growable builder reserves address space for (a column's buffer grows up to it in place): 2^28 rows, 8 GB
 * of Int32 columns and 1.25 GB of byte columns reserved, none of it resident until written; past it the builder
 * copies into one buffer as a fixed one does. */
const GROWABLE_ROWS = 2 ** 28;

/** The 13 columns of `cap` rows as views of one growable shared buffer each (made on first use, grown in place:
 * bytes written stay, new ones are zero). */
function carveGrowable(buffers: GrowableBuffer[], cap: number): Carved {
  const view = <T>(k: number, bytes: number, make: (b: SharedArrayBuffer) => T): T => {
    buffers[k] ??= growableOffHeap(bytes * GROWABLE_ROWS);
    const b = buffers[k];
    if (b.byteLength < bytes * cap) b.grow(bytes * cap);
    return make(b);
  };
  const i32 = (k: number) => view(k, 4, (b) => new Int32Array(b, 0, cap));
  const u8 = (k: number) => view(k, 1, (b) => new Uint8Array(b, 0, cap));
  const ints = [i32(0), i32(1), i32(2), i32(3), i32(4), i32(5), i32(6)];
  return { count: cap, ints, note: i32(7), op: u8(8), flags: u8(9), t0: u8(10), t1: u8(11), fn: u8(12) };
}
