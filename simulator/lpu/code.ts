// Instructions as a compact typed-array encoding for the simulator's inner loop: the opcode and resource tables and
// the column layouts (Code, the whole program for the exact engine; FastCode, a block for the fast path), one row per
// instruction (opcode, queue, issue cycle, vectors, slots, operands as numbers, stream groups as
// `dir * streams + id`, the output latency), so running a program touches no Instruction object. encode.ts fills a
// row. The row's id is the instruction's number across all chips (InstRecord.id).
import { BINARY_FNS, SXM_FNS, TYPES, UNARY_FNS } from "../../arch/columns.ts";
import { ELEM_BYTES, type ElemType } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";

export { BINARY_FNS, SXM_FNS, TYPES, UNARY_FNS };

/** Opcodes: their codes in the program's columns (arch/columns.ts OPCODES), so a row's opcode is copied as it is. */

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

/** Sub-operation codes (VXM unary/binary functions, SXM functions) are those of the program's columns. */
export const SXM_TRANSPOSE = 4;

/** The columns encode() writes. Field meaning by opcode:
 * read/write: a = addr, b = stride, s0 = stream. gather/scatter: a = base, s0 = stream, s1 = map group.
 * vunary: fn, t0, s0 = dst, s1 = src. vbinary: fn, t0, s0 = dst, s1 = a, s2 = b (-1: the immediate, in b).
 * convert: t0 = from, t1 = to, s0 = dst, s1 = src. vaccum: t0, s0 = dst, s1 = src. lw: t0, s1 = src, a = row0,
 * b = width. abc: t0, s1 = src, a = row0, fn = accumulate (0/1). acc: t0, s0 = dst, a = row0. sxm: fn, t0, s0 = dst,
 * s1 = src, a = amount, b = map number. send: t0, s1 = src. recv: t0, s0 = dst. sync/notify: a = token number.
 * deskew: n = repetitions, b = period. */
export interface Columns {
  readonly op: Uint8Array;
  readonly queue: Int32Array;
  /** Explicit issue cycle, or -1. */
  readonly cycle: Float64Array | Int32Array;
  readonly n: Float64Array | Int32Array;
  readonly slots: Float64Array | Int32Array;
  /** Cycles from a take (or a read's access) to the put of its result; for take-driven ops only. */
  readonly latency: Int32Array;
  readonly a: Float64Array | Int32Array;
  readonly b: Float64Array | Int32Array;
  readonly s0: Int16Array;
  readonly s1: Int16Array;
  readonly s2: Int16Array;
  readonly t0: Uint8Array;
  readonly t1: Uint8Array;
  readonly fn: Uint8Array;
  readonly count: number;
}

/**
 * Memory for FastCode columns that is used again run after run (fast/chip-state.ts): bump allocation in chunks of
 * CHUNK bytes (or one column set's size, if larger), the same chunks handed out again, in order, after reset(). Chunks
 * of a fixed size rather than doubling ones: the first run allocates little more than it needs, and less memory
 * outside the heap means fewer collections that mark the whole heap.
 */
export class Arena {
  private static readonly CHUNK = 4 << 20;
  private readonly chunks: ArrayBuffer[] = [];
  /** The chunk being handed out, and its bytes handed out. */
  private k = 0;
  private used = 0;

  reset(): void {
    this.k = 0;
    this.used = 0;
  }

  /** `bytes` (a multiple of 8), zeroed unless `zero` is false: the buffer and where they start. */
  take(bytes: number, zero = true): { buf: ArrayBuffer; at: number } {
    let chunk = this.chunks[this.k];
    if (chunk && this.used + bytes > chunk.byteLength) {
      this.k++;
      this.used = 0;
      chunk = this.chunks[this.k];
    }
    if (!chunk || bytes > chunk.byteLength) {
      // A chunk too small for these columns is replaced (the columns handed out from it keep it until the run ends).
      chunk = new ArrayBuffer(Math.max(bytes, Arena.CHUNK));
      this.chunks[this.k] = chunk;
      this.used = 0;
    }
    const at = this.used;
    this.used += bytes;
    if (zero) new Uint8Array(chunk, at, bytes).fill(0);
    return { buf: chunk, at };
  }
}

/** Carves typed arrays of the given element sizes and length `count` out of one buffer (from `arena` if given). */
function carve(
  count: number,
  sizes: readonly number[],
  arena?: Arena,
): { buf: ArrayBuffer; offsets: number[] } {
  // One buffer for every column: a program of millions of instructions allocates its external memory once,
  // which the garbage collector answers with at most one collection instead of one per column.
  const pad = (x: number) => (x + 7) & ~7;
  const offsets: number[] = [];
  let at = 0;
  for (const size of sizes) {
    offsets.push(at);
    at += pad(size * count);
  }
  if (!arena) return { buf: new ArrayBuffer(at), offsets };
  const got = arena.take(at);
  return { buf: got.buf, offsets: offsets.map((o) => o + got.at) };
}

/**
 * The whole program for the exact engine, numbers as the program gives them (an address of 2.5 must still be
 * reported as one): column arrays indexed by instruction id.
 */
export class Code implements Columns {
  readonly op: Uint8Array;
  readonly queue: Int32Array;
  readonly cycle: Float64Array;
  readonly n: Float64Array;
  readonly slots: Float64Array;
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
    const { buf, offsets: o } = carve(count, [8, 8, 8, 8, 8, 4, 4, 2, 2, 2, 1, 1, 1, 1]);
    this.cycle = new Float64Array(buf, o[0], count);
    this.n = new Float64Array(buf, o[1], count);
    this.slots = new Float64Array(buf, o[2], count);
    this.a = new Float64Array(buf, o[3], count);
    this.b = new Float64Array(buf, o[4], count);
    this.queue = new Int32Array(buf, o[5], count);
    this.latency = new Int32Array(buf, o[6], count);
    this.s0 = new Int16Array(buf, o[7], count).fill(-1);
    this.s1 = new Int16Array(buf, o[8], count).fill(-1);
    this.s2 = new Int16Array(buf, o[9], count).fill(-1);
    this.op = new Uint8Array(buf, o[10], count);
    this.t0 = new Uint8Array(buf, o[11], count);
    this.t1 = new Uint8Array(buf, o[12], count);
    this.fn = new Uint8Array(buf, o[13], count);
  }
}

/**
 * One chip's instructions for the fast path, every number a 32-bit integer (encode() says when one is not, and the
 * fast path then leaves the program to the exact engine; numbers it never reads, a vbinary immediate or an sxm amount,
 * may be cut here). Loads from Int32Array stay small integers in optimised
 * code, where Float64Array loads passed to a call would each be boxed into a heap number: 100 bytes of garbage per
 * instruction.
 */
export class FastCode implements Columns {
  readonly op: Uint8Array;
  readonly queue: Int32Array;
  readonly cycle: Int32Array;
  readonly n: Int32Array;
  readonly slots: Int32Array;
  readonly latency: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly s0: Int16Array;
  readonly s1: Int16Array;
  readonly s2: Int16Array;
  readonly t0: Uint8Array;
  readonly t1: Uint8Array;
  readonly fn: Uint8Array;

  /** With `arena`, the columns are carved from it (valid until its next reset). */
  constructor(
    readonly count: number,
    arena?: Arena,
  ) {
    const { buf, offsets: o } = carve(count, [4, 4, 4, 4, 4, 4, 4, 2, 2, 2, 1, 1, 1, 1], arena);
    this.cycle = new Int32Array(buf, o[0], count);
    this.n = new Int32Array(buf, o[1], count);
    this.slots = new Int32Array(buf, o[2], count);
    this.a = new Int32Array(buf, o[3], count);
    this.b = new Int32Array(buf, o[4], count);
    this.queue = new Int32Array(buf, o[5], count);
    this.latency = new Int32Array(buf, o[6], count);
    this.s0 = new Int16Array(buf, o[7], count).fill(-1);
    this.s1 = new Int16Array(buf, o[8], count).fill(-1);
    this.s2 = new Int16Array(buf, o[9], count).fill(-1);
    this.op = new Uint8Array(buf, o[10], count);
    this.t0 = new Uint8Array(buf, o[11], count);
    this.t1 = new Uint8Array(buf, o[12], count);
    this.fn = new Uint8Array(buf, o[13], count);
  }
}

/** Clears rows [from, to) to the values of a new Code (so a scratch Code can be reused). */
export function clearRows(c: Columns, from: number, to: number): void {
  c.a.fill(0, from, to);
  c.b.fill(0, from, to);
  c.latency.fill(0, from, to);
  c.s0.fill(-1, from, to);
  c.s1.fill(-1, from, to);
  c.s2.fill(-1, from, to);
  c.t0.fill(0, from, to);
  c.t1.fill(0, from, to);
  c.fn.fill(0, from, to);
}

export function cyclesPerVector(m: Machine, t: ElemType): number {
  const c = m.mxm.cyclesPerVector;
  return t === "fp16" ? c.fp16 : t === "bf16" ? c.bf16 : t === "fp8" ? c.fp8 : c.int8;
}
