// A queue's instructions as typed-array columns (InstColumns, arch/isa.ts): what the compiler's emit and the JSON
// reader write and the simulator reads, one row per instruction and no object per instruction. In: instructions one
// at a time (ColumnsBuilder) or a list of Placed objects (columnsOf). Out: the columns, and any row as a Placed again
// (placedAt). Guarantee: placedAt(columnsOf(list), k) equals list[k] field for field, every number as it was given
// (an Int32 column holds what fits; anything else, a fraction, NaN, 2**40, sits in the sparse `wide` table).
import type { Span } from "../util/diagnostics.ts";
import type {
  ElemType,
  InstColumns,
  Instruction,
  Opcode,
  Placed,
  QueueProgram,
  QueueRef,
  StreamRef,
  SxmOp,
  VxmBinaryOp,
  VxmUnaryOp,
} from "./isa.ts";

/** Opcodes by code (the simulator's code.ts OP_* numbers are these indices). */
export const OPCODES: readonly Opcode[] = [
  "nop",
  "sync",
  "notify",
  "deskew",
  "read",
  "write",
  "gather",
  "scatter",
  "vunary",
  "vbinary",
  "convert",
  "vaccum",
  "lw",
  "iw",
  "abc",
  "acc",
  "sxm",
  "send",
  "recv",
];
/** Element types by code. */
export const TYPES: readonly ElemType[] = ["int8", "uint8", "fp8", "fp16", "bf16", "fp32", "int32"];
/** Function codes of vunary, vbinary and sxm. */
export const UNARY_FNS: readonly VxmUnaryOp[] = [
  "copy",
  "neg",
  "abs",
  "relu",
  "tanh",
  "exp",
  "rsqrt",
  "recip",
];
export const BINARY_FNS: readonly VxmBinaryOp[] = ["add", "sub", "mul", "max", "min"];
export const SXM_FNS: readonly SxmOp[] = ["shift", "rotate", "permute", "distribute", "transpose"];

/** `flags` bits. F_CYCLE: the row has an issue cycle. F_N: a deskew's n is given. F_B: a deskew's period, an lw's
 * width or an sxm's map is given (in `b`). F_IMM: a vbinary's b is the immediate in `a`. F_ACC: abc accumulates.
 * F_W0 << k: stream k flows west. */
export const F_CYCLE = 1;
export const F_N = 2;
export const F_B = 4;
export const F_IMM = 8;
export const F_ACC = 16;
export const F_W0 = 32;

/** The value of an Int32 cell whose number is in `wide` (it does not fit, or is this value itself). */
export const WIDE = -2147483648;
/** Field numbers of the Int32 columns, for `wide` keys (row * 8 + field). */
export const FIELD_CYCLE = 0;
export const FIELD_N = 1;
export const FIELD_A = 2;
export const FIELD_B = 3;
export const FIELD_S0 = 4;

/** The number in an Int32 column's cell. */
export function wideValue(c: InstColumns, field: number, row: number, cell: number): number {
  return cell !== WIDE ? cell : c.wide!.get(row * 8 + field)!;
}

export function cycleOf(c: InstColumns, k: number): number | undefined {
  return c.flags[k]! & F_CYCLE ? wideValue(c, FIELD_CYCLE, k, c.cycle[k]!) : undefined;
}
export const nOf = (c: InstColumns, k: number): number => wideValue(c, FIELD_N, k, c.n[k]!);
export const aOf = (c: InstColumns, k: number): number => wideValue(c, FIELD_A, k, c.a[k]!);
export const bOf = (c: InstColumns, k: number): number => wideValue(c, FIELD_B, k, c.b[k]!);

/** Stream k (0, 1, 2: the columns s0, s1, s2) of row `row`. */
export function streamOf(c: InstColumns, k: 0 | 1 | 2, row: number): StreamRef {
  const col = k === 0 ? c.s0 : k === 1 ? c.s1 : c.s2;
  return { id: wideValue(c, FIELD_S0 + k, row, col[row]!), dir: c.flags[row]! & (F_W0 << k) ? "w" : "e" };
}

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
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
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

  private string(s: string): number {
    let k = this.stringIds.get(s);
    if (k === undefined) {
      k = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, k);
    }
    return k;
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
        this.int(FIELD_A, r, this.string(inst.token));
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
          this.int(FIELD_B, r, this.string(inst.map));
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
      strings: this.strings,
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

/** The instruction of row k, as an object (for printers, reports and tests; the simulator reads the columns). */
export function instructionAt(c: InstColumns, k: number): Instruction {
  const op = OPCODES[c.op[k]!]!;
  const flags = c.flags[k]!;
  const type = TYPES[c.t0[k]!]!;
  switch (op) {
    case "nop":
      return { op, cycles: nOf(c, k) };
    case "sync":
    case "notify":
      return { op, token: c.strings[aOf(c, k)]! };
    case "deskew":
      return {
        op,
        ...(flags & F_N ? { n: nOf(c, k) } : {}),
        ...(flags & F_B ? { period: bOf(c, k) } : {}),
      };
    case "read":
    case "write":
      return { op, addr: aOf(c, k), stream: streamOf(c, 0, k), n: nOf(c, k), stride: bOf(c, k) };
    case "gather":
    case "scatter":
      return { op, base: aOf(c, k), stream: streamOf(c, 0, k), map: streamOf(c, 1, k), n: nOf(c, k) };
    case "vunary":
      return {
        op,
        fn: UNARY_FNS[c.fn[k]!]!,
        type,
        dst: streamOf(c, 0, k),
        src: streamOf(c, 1, k),
        n: nOf(c, k),
      };
    case "vbinary":
      return {
        op,
        fn: BINARY_FNS[c.fn[k]!]!,
        type,
        dst: streamOf(c, 0, k),
        a: streamOf(c, 1, k),
        b: flags & F_IMM ? aOf(c, k) : streamOf(c, 2, k),
        n: nOf(c, k),
      };
    case "convert":
      return {
        op,
        from: type,
        to: TYPES[c.t1[k]!]!,
        dst: streamOf(c, 0, k),
        src: streamOf(c, 1, k),
        n: nOf(c, k),
      };
    case "vaccum":
      return { op, type, dst: streamOf(c, 0, k), src: streamOf(c, 1, k), n: nOf(c, k) };
    case "lw":
      return {
        op,
        type,
        src: streamOf(c, 1, k),
        n: nOf(c, k),
        row0: aOf(c, k),
        ...(flags & F_B ? { width: bOf(c, k) } : {}),
      };
    case "iw":
      return { op };
    case "abc":
      return {
        op,
        type,
        src: streamOf(c, 1, k),
        n: nOf(c, k),
        row0: aOf(c, k),
        accumulate: (flags & F_ACC) !== 0,
      };
    case "acc":
      return { op, type, dst: streamOf(c, 0, k), n: nOf(c, k), row0: aOf(c, k) };
    case "sxm":
      return {
        op,
        fn: SXM_FNS[c.fn[k]!]!,
        type,
        dst: streamOf(c, 0, k),
        src: streamOf(c, 1, k),
        n: nOf(c, k),
        amount: aOf(c, k),
        ...(flags & F_B ? { map: c.strings[bOf(c, k)]! } : {}),
      };
    case "send":
      return { op, type, src: streamOf(c, 1, k), n: nOf(c, k) };
    case "recv":
      return { op, type, dst: streamOf(c, 0, k), n: nOf(c, k) };
  }
}

/** Row k as a Placed (a new object each call). `shift` is added to its issue cycle (a copy's, arch/copies.ts). */
export function placedAt(c: InstColumns, k: number, shift = 0): Placed {
  const cycle = cycleOf(c, k);
  const note = c.note[k]!;
  const span = c.spans?.get(k);
  return {
    inst: instructionAt(c, k),
    ...(cycle !== undefined ? { cycle: shift === 0 ? cycle : cycle + shift } : {}),
    ...(span ? { span } : {}),
    ...(note >= 0 ? { note: c.notes[note]! } : {}),
  };
}

/** The columns of a list of Placed objects. */
export function columnsFromPlaced(list: readonly Placed[]): InstColumns {
  const b = new ColumnsBuilder(list.length);
  for (const p of list) b.add(p.inst, p.cycle, p.note, p.span);
  return b.finish();
}

/** The columns with `shift` added to every issue cycle (a stamped copy written out); shares everything else. */
export function shiftedColumns(c: InstColumns, shift: number): InstColumns {
  if (shift === 0) return c;
  const cycle = new Int32Array(c.count);
  let wide: Map<number, number> | undefined;
  for (let k = 0; k < c.count; k++) {
    if (!(c.flags[k]! & F_CYCLE)) continue;
    const v = wideValue(c, FIELD_CYCLE, k, c.cycle[k]!) + shift;
    if ((v | 0) === v && v !== WIDE) cycle[k] = v;
    else {
      cycle[k] = WIDE;
      wide ??= new Map([...(c.wide ?? [])].filter(([key]) => key % 8 !== FIELD_CYCLE));
      wide.set(k * 8 + FIELD_CYCLE, v);
    }
  }
  if (!wide && c.wide) wide = new Map([...c.wide].filter(([key]) => key % 8 !== FIELD_CYCLE));
  const { wide: _, ...rest } = c;
  return { ...rest, cycle, ...(wide && wide.size > 0 ? { wide } : {}) };
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
