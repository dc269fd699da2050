// A queue's instructions written as typed-array columns (InstColumns, arch/isa.ts; read by columns.ts): what the
// compiler's emit, the JSON reader and the assembler write, one row per instruction and no object kept per
// instruction. In: instructions one at a time (ColumnsBuilder), or a queue given as Placed objects (columnsOf).
// Out: the columns. Guarantee: placedAt(columnsFromPlaced(list), k) equals list[k] field for field, every number as
// it was given.
import type { Span } from "../util/diagnostics.ts";
import { Interner } from "../util/interner.ts";
import {
  BINARY_FNS,
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
  OPCODES,
  placedAt,
  SXM_FNS,
  TYPES,
  UNARY_FNS,
  WIDE,
} from "./columns.ts";
import type {
  ElemType,
  InstColumns,
  Instruction,
  Opcode,
  Placed,
  Program,
  QueueProgram,
  QueueRef,
  StreamRef,
} from "./isa.ts";

/** Builds the columns of one queue, an instruction at a time. */
export class ColumnsBuilder {
  private cap: number;
  private count = 0;
  private op: Uint8Array;
  private flags: Uint8Array;
  private t0: Uint8Array;
  private t1: Uint8Array;
  private fn: Uint8Array;
  private ints: Int32Array[];
  private note: Int32Array;
  private readonly strings = new Interner();
  private readonly notes: string[] = [];
  private readonly noteIds = new Map<string, number>();
  private wide: Map<number, number> | undefined;
  private spans: Map<number, Span> | undefined;

  constructor(capacity = 16) {
    this.cap = Math.max(1, capacity);
    this.op = new Uint8Array(this.cap);
    this.flags = new Uint8Array(this.cap);
    this.t0 = new Uint8Array(this.cap);
    this.t1 = new Uint8Array(this.cap);
    this.fn = new Uint8Array(this.cap);
    this.ints = Array.from({ length: 7 }, () => new Int32Array(this.cap));
    this.note = new Int32Array(this.cap);
  }

  get length(): number {
    return this.count;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const up8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const up32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.op = up8(this.op);
    this.flags = up8(this.flags);
    this.t0 = up8(this.t0);
    this.t1 = up8(this.t1);
    this.fn = up8(this.fn);
    this.ints = this.ints.map(up32);
    this.note = up32(this.note);
    this.cap = cap;
  }

  private int(field: number, row: number, v: number): void {
    if ((v | 0) === v && v !== WIDE && (v !== 0 || 1 / v > 0)) this.ints[field]![row] = v;
    else {
      this.ints[field]![row] = WIDE;
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
    if (this.count === this.cap) this.grow();
    const r = this.count++;
    let flags = 0;
    if (cycle !== undefined) {
      flags |= F_CYCLE;
      this.int(FIELD_CYCLE, r, cycle);
    }
    if (note !== undefined) {
      let k = this.noteIds.get(note);
      if (k === undefined) {
        k = this.notes.length;
        this.notes.push(note);
        this.noteIds.set(note, k);
      }
      this.note[r] = k;
    } else this.note[r] = -1;
    if (span) {
      this.spans ??= new Map();
      this.spans.set(r, span);
    }
    this.op[r] = opCode(inst.op);
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
        this.fn[r] = code(UNARY_FNS, inst.fn, "vunary function");
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "vbinary":
        this.fn[r] = code(BINARY_FNS, inst.fn, "vbinary function");
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.a);
        if (typeof inst.b === "number") {
          flags |= F_IMM;
          this.int(FIELD_A, r, inst.b);
        } else flags |= this.stream(2, r, inst.b);
        break;
      case "convert":
        this.t0[r] = typeCode(inst.from);
        this.t1[r] = typeCode(inst.to);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "vaccum":
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "lw":
        this.t0[r] = typeCode(inst.type);
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
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.row0);
        if (inst.accumulate) flags |= F_ACC;
        flags |= this.stream(1, r, inst.src);
        break;
      case "acc":
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.row0);
        flags |= this.stream(0, r, inst.dst);
        break;
      case "sxm":
        this.fn[r] = code(SXM_FNS, inst.fn, "sxm function");
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        this.int(FIELD_A, r, inst.amount);
        if (inst.map !== undefined) {
          flags |= F_B;
          this.int(FIELD_B, r, this.strings.id(inst.map));
        }
        flags |= this.stream(0, r, inst.dst) | this.stream(1, r, inst.src);
        break;
      case "send":
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(1, r, inst.src);
        break;
      case "recv":
        this.t0[r] = typeCode(inst.type);
        this.int(FIELD_N, r, inst.n);
        flags |= this.stream(0, r, inst.dst);
        break;
      default:
        throw new Error(`internal error: unknown op '${(inst as { op: string }).op}'`);
    }
    this.flags[r] = flags;
  }

  /** The columns, carved from one buffer of their exact size (the builder is not used again). */
  finish(): InstColumns {
    const n = this.count;
    const pad = (x: number) => (x + 7) & ~7;
    const buf = new ArrayBuffer(8 * 4 * pad(n) + 5 * pad(n));
    let at = 0;
    const i32 = (src: Int32Array) => {
      const a = new Int32Array(buf, at, n);
      a.set(src.subarray(0, n));
      at += 4 * pad(n);
      return a;
    };
    const u8 = (src: Uint8Array) => {
      const a = new Uint8Array(buf, at, n);
      a.set(src.subarray(0, n));
      at += pad(n);
      return a;
    };
    const [cycle, vectors, a, b, s0, s1, s2] = this.ints.map(i32) as [
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
    ];
    return {
      count: n,
      op: u8(this.op),
      flags: u8(this.flags),
      t0: u8(this.t0),
      t1: u8(this.t1),
      fn: u8(this.fn),
      cycle,
      n: vectors,
      a,
      b,
      s0,
      s1,
      s2,
      note: i32(this.note),
      strings: this.strings.names,
      notes: this.notes,
      ...(this.wide ? { wide: this.wide } : {}),
      ...(this.spans ? { spans: this.spans } : {}),
    };
  }
}

function opCode(op: Opcode): number {
  return code(OPCODES, op, "op");
}

function typeCode(t: ElemType): number {
  return code(TYPES, t, "element type");
}

function code<T extends string>(list: readonly T[], v: T, what: string): number {
  const k = list.indexOf(v);
  if (k < 0) throw new Error(`internal error: '${v}' is not a known ${what}`);
  return k;
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
