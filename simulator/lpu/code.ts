// Instructions as a compact typed-array encoding for the simulator's inner loop. In: the Instructions of a checked
// program (prepare.ts) and the machine. Out: one row per instruction (opcode, queue, issue cycle, vectors, slots,
// operands as numbers, stream groups as `dir * streams + id`, the output latency), so running a program touches no
// Instruction object. The row's id is the instruction's number across all chips (InstRecord.id).
import { ELEM_BYTES, type ElemType, type Instruction, type StreamRef } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import { unaryLatencyClass } from "./vxm-ops.ts";

export const OP_NOP = 0;
export const OP_SYNC = 1;
export const OP_NOTIFY = 2;
export const OP_DESKEW = 3;
export const OP_READ = 4;
export const OP_WRITE = 5;
export const OP_GATHER = 6;
export const OP_SCATTER = 7;
export const OP_VUNARY = 8;
export const OP_VBINARY = 9;
export const OP_CONVERT = 10;
export const OP_VACCUM = 11;
export const OP_LW = 12;
export const OP_IW = 13;
export const OP_ABC = 14;
export const OP_ACC = 15;
export const OP_SXM = 16;
export const OP_SEND = 17;
export const OP_RECV = 18;

/** Element types by code (the order of TYPE_CODE). */
export const TYPES: readonly ElemType[] = ["int8", "uint8", "fp8", "fp16", "bf16", "fp32", "int32"];
const TYPE_CODE: Readonly<Record<ElemType, number>> = {
  int8: 0,
  uint8: 1,
  fp8: 2,
  fp16: 3,
  bf16: 4,
  fp32: 5,
  int32: 6,
};
export const TYPE_BYTES: Uint8Array = Uint8Array.from(TYPES, (t) => ELEM_BYTES[t]);

/**
 * The resource an opcode occupies (docs/isa.md "Queues and issue") as a slot of its queue (0 is the queue itself),
 * and the slot's name for reports. A queue holds at most four slots: mem queue/read/write, mxm
 * queue/loader/array/drain, c2c queue/sender/receiver.
 */
export const RES_SLOT: Uint8Array = Uint8Array.from([
  0, 0, 0, 0, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 2, 3, 1, 1, 2,
]);
export const RES_NAME: readonly string[] = [
  "queue",
  "queue",
  "queue",
  "queue",
  "read",
  "write",
  "read",
  "write",
  "alu",
  "alu",
  "alu",
  "alu",
  "loader",
  "array",
  "array",
  "drain",
  "unit",
  "sender",
  "receiver",
];
export const RES_SLOTS = 4;

/** Whether an opcode streams `n` vectors (counted in the run's vector total). */
export const HAS_N: Uint8Array = Uint8Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1]);

/** Sub-operation codes: VXM unary/binary functions, SXM functions. */
export const UNARY_FNS = ["copy", "neg", "abs", "relu", "tanh", "exp", "rsqrt", "recip"] as const;
export const BINARY_FNS = ["add", "sub", "mul", "max", "min"] as const;
export const SXM_FNS = ["shift", "rotate", "permute", "distribute", "transpose"] as const;
export const SXM_TRANSPOSE = 4;

/** The encoded program: column arrays indexed by instruction id. Field meaning by opcode:
 * read/write: a = addr, b = stride, s0 = stream. gather/scatter: a = base, s0 = stream, s1 = map group.
 * vunary: fn, t0, s0 = dst, s1 = src. vbinary: fn, t0, s0 = dst, s1 = a, s2 = b (-1: the immediate, in b).
 * convert: t0 = from, t1 = to, s0 = dst, s1 = src. vaccum: t0, s0 = dst, s1 = src. lw: t0, s1 = src, a = row0,
 * b = width. abc: t0, s1 = src, a = row0, fn = accumulate (0/1). acc: t0, s0 = dst, a = row0. sxm: fn, t0, s0 = dst,
 * s1 = src, a = amount, b = map number. send: t0, s1 = src. recv: t0, s0 = dst. sync/notify: a = token number. */
export class Code {
  readonly op: Uint8Array;
  readonly queue: Int32Array;
  /** Explicit issue cycle, or -1. */
  readonly cycle: Float64Array;
  readonly n: Float64Array;
  readonly slots: Float64Array;
  /** Cycles from a take (or a read's access) to the put of its result; for take-driven ops only. */
  readonly latency: Int32Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly s0: Int16Array;
  readonly s1: Int16Array;
  readonly s2: Int16Array;
  readonly t0: Uint8Array;
  readonly t1: Uint8Array;
  readonly fn: Uint8Array;

  constructor(readonly count: number) {
    // One buffer for every column: a program of millions of instructions allocates its external memory once,
    // which the garbage collector answers with at most one collection instead of one per column.
    const f64 = count * 8;
    const i32 = count * 4;
    const i16 = count * 2;
    const pad = (x: number) => (x + 7) & ~7;
    const sizes = [f64, f64, f64, f64, f64, i32, i32, i16, i16, i16, count, count, count, count].map(pad);
    const buf = new ArrayBuffer(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    const next = (k: number) => {
      const o = at;
      at += sizes[k]!;
      return o;
    };
    this.cycle = new Float64Array(buf, next(0), count);
    this.n = new Float64Array(buf, next(1), count);
    this.slots = new Float64Array(buf, next(2), count);
    this.a = new Float64Array(buf, next(3), count);
    this.b = new Float64Array(buf, next(4), count);
    this.queue = new Int32Array(buf, next(5), count);
    this.latency = new Int32Array(buf, next(6), count);
    this.s0 = new Int16Array(buf, next(7), count).fill(-1);
    this.s1 = new Int16Array(buf, next(8), count).fill(-1);
    this.s2 = new Int16Array(buf, next(9), count).fill(-1);
    this.op = new Uint8Array(buf, next(10), count);
    this.t0 = new Uint8Array(buf, next(11), count);
    this.t1 = new Uint8Array(buf, next(12), count);
    this.fn = new Uint8Array(buf, next(13), count);
  }
}

/** Clears rows [0, count) to the values of a new Code (so a scratch Code can be reused). */
export function clearRows(c: Code, count: number): void {
  c.a.fill(0, 0, count);
  c.b.fill(0, 0, count);
  c.latency.fill(0, 0, count);
  c.s0.fill(-1, 0, count);
  c.s1.fill(-1, 0, count);
  c.s2.fill(-1, 0, count);
  c.t0.fill(0, 0, count);
  c.t1.fill(0, 0, count);
  c.fn.fill(0, 0, count);
}

export function cyclesPerVector(m: Machine, t: ElemType): number {
  const c = m.mxm.cyclesPerVector;
  return t === "fp16" ? c.fp16 : t === "bf16" ? c.bf16 : t === "fp8" ? c.fp8 : c.int8;
}

/** Names interned as numbers (sync tokens, lane maps). */
export class Interner {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  id(name: string): number {
    let k = this.ids.get(name);
    if (k === undefined) {
      k = this.names.length;
      this.names.push(name);
      this.ids.set(name, k);
    }
    return k;
  }
}

/** The group index of a stream group: dir * streamsPerDirection + id. */
function groupOf(r: StreamRef, S: number): number {
  return (r.dir === "e" ? 0 : S) + r.id;
}

/** Writes instruction `id` (already checked by prepare.ts) into the code arrays. */
export function encode(
  c: Code,
  id: number,
  queue: number,
  cycle: number | undefined,
  inst: Instruction,
  m: Machine,
  tokens: Interner,
  maps: Interner,
): void {
  const S = m.streamsPerDirection;
  c.queue[id] = queue;
  c.cycle[id] = cycle ?? -1;
  c.n[id] = 1;
  const L = m.vxm.latency;
  switch (inst.op) {
    case "nop":
      c.op[id] = OP_NOP;
      c.slots[id] = inst.cycles;
      return;
    case "sync":
    case "notify":
      c.op[id] = inst.op === "sync" ? OP_SYNC : OP_NOTIFY;
      c.slots[id] = 1;
      c.a[id] = tokens.id(inst.token);
      return;
    case "deskew":
      c.op[id] = OP_DESKEW;
      c.slots[id] = 1;
      return;
    case "read":
    case "write":
      c.op[id] = inst.op === "read" ? OP_READ : OP_WRITE;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.a[id] = inst.addr;
      c.b[id] = inst.stride;
      c.s0[id] = groupOf(inst.stream, S);
      c.latency[id] = m.mem.readLatency;
      return;
    case "gather":
    case "scatter":
      c.op[id] = inst.op === "gather" ? OP_GATHER : OP_SCATTER;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.a[id] = inst.base;
      c.s0[id] = groupOf(inst.stream, S);
      c.s1[id] = groupOf(inst.map, S);
      c.latency[id] = m.mem.readLatency;
      return;
    case "vunary":
      c.op[id] = OP_VUNARY;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.fn[id] = UNARY_FNS.indexOf(inst.fn);
      c.t0[id] = TYPE_CODE[inst.type];
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.latency[id] = L[unaryLatencyClass(inst.fn)];
      return;
    case "vbinary":
      c.op[id] = OP_VBINARY;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.fn[id] = BINARY_FNS.indexOf(inst.fn);
      c.t0[id] = TYPE_CODE[inst.type];
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.a, S);
      if (typeof inst.b === "number") c.b[id] = inst.b;
      else c.s2[id] = groupOf(inst.b, S);
      c.latency[id] = L.simple;
      return;
    case "convert":
      c.op[id] = OP_CONVERT;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = TYPE_CODE[inst.from];
      c.t1[id] = TYPE_CODE[inst.to];
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.latency[id] = L.convert;
      return;
    case "vaccum":
      c.op[id] = OP_VACCUM;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = TYPE_CODE[inst.type];
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.latency[id] = L.simple;
      return;
    case "lw": {
      const w = inst.width ?? 1;
      c.op[id] = OP_LW;
      c.n[id] = inst.n;
      c.slots[id] = Math.ceil(inst.n / w);
      c.t0[id] = TYPE_CODE[inst.type];
      c.s1[id] = groupOf(inst.src, S);
      c.a[id] = inst.row0;
      c.b[id] = w;
      return;
    }
    case "iw":
      c.op[id] = OP_IW;
      c.slots[id] = m.mxm.installLatency;
      return;
    case "abc":
      c.op[id] = OP_ABC;
      c.n[id] = inst.n;
      c.slots[id] = inst.n * cyclesPerVector(m, inst.type);
      c.t0[id] = TYPE_CODE[inst.type];
      c.s1[id] = groupOf(inst.src, S);
      c.a[id] = inst.row0;
      c.fn[id] = inst.accumulate ? 1 : 0;
      c.latency[id] = m.mxm.latency;
      c.b[id] = cyclesPerVector(m, inst.type);
      return;
    case "acc":
      c.op[id] = OP_ACC;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = TYPE_CODE[inst.type];
      c.s0[id] = groupOf(inst.dst, S);
      c.a[id] = inst.row0;
      return;
    case "sxm":
      c.op[id] = OP_SXM;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.fn[id] = SXM_FNS.indexOf(inst.fn);
      c.t0[id] = TYPE_CODE[inst.type];
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.a[id] = inst.amount;
      c.b[id] = inst.map === undefined ? -1 : maps.id(inst.map);
      c.latency[id] = m.sxm.latency;
      return;
    case "send":
      c.op[id] = OP_SEND;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = TYPE_CODE[inst.type];
      c.s1[id] = groupOf(inst.src, S);
      return;
    case "recv":
      c.op[id] = OP_RECV;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = TYPE_CODE[inst.type];
      c.s0[id] = groupOf(inst.dst, S);
      return;
    default:
      assertNever(inst, "instruction");
  }
}
