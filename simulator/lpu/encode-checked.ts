// The fast path's one step per instruction: checks and encodes it in a single read of its fields. In: a row of a
// queue's program columns (arch/columns.ts), its queue (number, unit kind, whether its link is wired) and the machine. Out: its row of a FastCode
// block and true, when the instruction certainly has no static fault (static-faults.ts) and every number the fast
// path reads fits a 32-bit integer; false otherwise, and then the caller runs the full check and encode.ts, which
// find and word the faults (this function only has to be sure, never to explain: anything unusual answers false).
//
// Why: the check and the encoding each walked the instruction's objects (a call per operand, a closure per report),
// and on compiled programs the two were a third of a fast run; the program's Int32 columns are read here as they
// are (a WIDE cell, a number that does not fit, is negative or compared against WIDE, and answers false). The conditions below are those of staticFaults and
// InstructionCheck.check, op by op, written as one test each; test/simulator/lpu/encode-checked.test.ts checks that
// nothing faulty is let through and that what is accepted is encoded as encode() does.

import * as columns from "../../arch/columns.ts";
import type { InstColumns, UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { Interner } from "../../util/interner.ts";
import type { FastCode } from "./code.ts";
import * as code from "./code.ts";

// What the check and encoding read per instruction, as this module's own constants (fast/chip-run.ts: an imported
// binding is read through its module's import cell at each use; docs/performance.md, nineteenth round).
const { aOf, F_ACC, F_B, F_CYCLE, F_IMM, F_N, F_W0, WIDE } = columns;
const {
  cyclesPerVector,
  OP_ABC,
  OP_ACC,
  OP_CONVERT,
  OP_DESKEW,
  OP_GATHER,
  OP_IW,
  OP_LW,
  OP_NOP,
  OP_NOTIFY,
  OP_READ,
  OP_RECV,
  OP_SCATTER,
  OP_SEND,
  OP_SXM,
  OP_SYNC,
  OP_VACCUM,
  OP_VBINARY,
  OP_VUNARY,
  OP_WRITE,
  SXM_TRANSPOSE,
  TYPE_BYTES,
  TYPES,
} = code;

/** A vector count the check accepts and a 32-bit column holds (a WIDE cell is negative: refused). */
const isCount = (n: number): boolean => n >= 1;

/** Types the MXM takes (int8, uint8, fp8, fp16, bf16: codes 0-4). */
const MXM_MAX_CODE = 4;

/** The group (dir * S + id) of a stream cell spanning `bytes` streams, or -1 when it is out of range (a WIDE cell is
 * negative). */
function groupOf(id: number, west: number, bytes: number, S: number): number {
  if (id < 0 || id + bytes > S) return -1;
  return west ? S + id : id;
}

/**
 * Encodes row k of `src` into row `r` of the block (rows cleared beforehand: clearRows) when it passes every static
 * check and fits; returns false, possibly with the row half written, otherwise.
 */
export function encodeChecked(
  c: FastCode,
  r: number,
  queue: number,
  kind: UnitKind,
  wired: boolean,
  src: InstColumns,
  k: number,
  m: Machine,
  tokens: Interner,
): boolean {
  const flags = src.flags[k]!;
  const cycle = flags & F_CYCLE ? src.cycle[k]! : -1;
  if (cycle < -1 || (cycle === -1 && flags & F_CYCLE)) return false;
  const S = m.streamsPerDirection;
  const op = src.op[k]!;
  const n = src.n[k]!;
  c.queue[r] = queue;
  c.cycle[r] = cycle;
  c.n[r] = 1;
  switch (op) {
    case OP_NOP:
      if (!isCount(n)) return false;
      c.op[r] = OP_NOP;
      c.slots[r] = n;
      return true;
    case OP_SYNC:
    case OP_NOTIFY:
      c.op[r] = op;
      c.slots[r] = 1;
      c.a[r] = tokens.id(src.strings[src.a[k]!]!);
      return true;
    case OP_DESKEW: {
      const hasN = flags & F_N;
      const hasPeriod = flags & F_B;
      const period = src.b[k]!;
      if (hasN && !isCount(n)) return false;
      if (hasPeriod && !isCount(period)) return false;
      const reps = hasN ? n : 1;
      if (reps > 1 && !hasPeriod) return false;
      const slots = reps > 1 ? (reps - 1) * period + 1 : 1;
      if ((slots | 0) !== slots) return false;
      c.op[r] = OP_DESKEW;
      c.n[r] = reps;
      c.b[r] = hasPeriod ? period : 1;
      c.slots[r] = slots;
      return true;
    }
    case OP_READ:
    case OP_WRITE: {
      if (kind !== "mem") return false;
      const g = groupOf(src.s0[k]!, flags & F_W0, 1, S);
      const addr = src.a[k]!;
      const stride = src.b[k]!;
      if (!isCount(n) || g < 0 || stride === WIDE || addr === WIDE) return false;
      c.op[r] = op;
      c.n[r] = n;
      c.slots[r] = n;
      c.a[r] = addr;
      c.b[r] = stride;
      c.s0[r] = g;
      c.latency[r] = m.mem.readLatency;
      return true;
    }
    case OP_GATHER:
    case OP_SCATTER: {
      if (kind !== "mem") return false;
      const g = groupOf(src.s0[k]!, flags & F_W0, 1, S);
      const map = groupOf(src.s1[k]!, flags & (F_W0 << 1), 4, S);
      const base = src.a[k]!;
      if (!isCount(n) || g < 0 || map < 0 || base === WIDE) return false;
      c.op[r] = op;
      c.n[r] = n;
      c.slots[r] = n;
      c.a[r] = base;
      c.s0[r] = g;
      c.s1[r] = map;
      c.latency[r] = m.mem.readLatency;
      return true;
    }
    case OP_VUNARY: {
      if (kind !== "vxm" || !isCount(n)) return false;
      const t = src.t0[k]!;
      const f = src.fn[k]!;
      // tanh, exp, rsqrt, recip (codes 4-7) need a float type (int8, uint8, int32 are codes 0, 1, 6).
      const transcendental = f >= 4;
      if (transcendental && (t <= 1 || t === 6)) return false;
      const bytes = TYPE_BYTES[t]!;
      const dst = groupOf(src.s0[k]!, flags & F_W0, bytes, S);
      const s = groupOf(src.s1[k]!, flags & (F_W0 << 1), bytes, S);
      if (dst < 0 || s < 0) return false;
      c.op[r] = OP_VUNARY;
      c.n[r] = n;
      c.slots[r] = n;
      c.fn[r] = f;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = s;
      c.latency[r] = transcendental ? m.vxm.latency.transcendental : m.vxm.latency.simple;
      return true;
    }
    case OP_VBINARY: {
      if (kind !== "vxm" || !isCount(n)) return false;
      const t = src.t0[k]!;
      const bytes = TYPE_BYTES[t]!;
      const dst = groupOf(src.s0[k]!, flags & F_W0, bytes, S);
      const a = groupOf(src.s1[k]!, flags & (F_W0 << 1), bytes, S);
      const imm = flags & F_IMM;
      const bg = imm ? -1 : groupOf(src.s2[k]!, flags & (F_W0 << 2), bytes, S);
      if (dst < 0 || a < 0 || (!imm && bg < 0)) return false;
      c.op[r] = OP_VBINARY;
      c.n[r] = n;
      c.slots[r] = n;
      c.fn[r] = src.fn[k]!;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = a;
      // The immediate is not read by the fast path (its column may cut it), but it is written as encode() writes it.
      if (imm) c.b[r] = src.a[k] !== WIDE ? src.a[k]! : aOf(src, k);
      else c.s2[r] = bg;
      c.latency[r] = m.vxm.latency.simple;
      return true;
    }
    case OP_CONVERT: {
      if (kind !== "vxm" || !isCount(n)) return false;
      const from = src.t0[k]!;
      const to = src.t1[k]!;
      const dst = groupOf(src.s0[k]!, flags & F_W0, TYPE_BYTES[to]!, S);
      const s = groupOf(src.s1[k]!, flags & (F_W0 << 1), TYPE_BYTES[from]!, S);
      if (dst < 0 || s < 0) return false;
      c.op[r] = OP_CONVERT;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = from;
      c.t1[r] = to;
      c.s0[r] = dst;
      c.s1[r] = s;
      c.latency[r] = m.vxm.latency.convert;
      return true;
    }
    case OP_VACCUM: {
      if (kind !== "vxm" || !isCount(n)) return false;
      const t = src.t0[k]!;
      const dst = groupOf(src.s0[k]!, flags & F_W0, 4, S);
      const s = groupOf(src.s1[k]!, flags & (F_W0 << 1), TYPE_BYTES[t]!, S);
      if (dst < 0 || s < 0) return false;
      c.op[r] = OP_VACCUM;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = s;
      c.latency[r] = m.vxm.latency.simple;
      return true;
    }
    case OP_LW: {
      if (kind !== "mxm") return false;
      const t = src.t0[k]!;
      const w = flags & F_B ? src.b[k]! : 1;
      if (!isCount(n) || t > MXM_MAX_CODE || !isCount(w) || w > m.mxm.maxLoadWidth) return false;
      const bytes = TYPE_BYTES[t]!;
      const id = src.s1[k]!;
      const s = groupOf(id, flags & (F_W0 << 1), bytes, S);
      const row0 = src.a[k]!;
      if (s < 0 || id + w * bytes > S || row0 === WIDE) return false;
      c.op[r] = OP_LW;
      c.n[r] = n;
      c.slots[r] = Math.ceil(n / w);
      c.t0[r] = t;
      c.s1[r] = s;
      c.a[r] = row0;
      c.b[r] = w;
      return true;
    }
    case OP_IW:
      if (kind !== "mxm") return false;
      c.op[r] = OP_IW;
      c.slots[r] = m.mxm.installLatency;
      return true;
    case OP_ABC: {
      if (kind !== "mxm") return false;
      const t = src.t0[k]!;
      if (!isCount(n) || t > MXM_MAX_CODE) return false;
      const s = groupOf(src.s1[k]!, flags & (F_W0 << 1), TYPE_BYTES[t]!, S);
      const cpv = cyclesPerVector(m, TYPES[t]!);
      const row0 = src.a[k]!;
      if (s < 0 || row0 === WIDE || ((n * cpv) | 0) !== n * cpv) return false;
      c.op[r] = OP_ABC;
      c.n[r] = n;
      c.slots[r] = n * cpv;
      c.t0[r] = t;
      c.s1[r] = s;
      c.a[r] = row0;
      c.fn[r] = flags & F_ACC ? 1 : 0;
      c.latency[r] = m.mxm.latency;
      c.b[r] = cpv;
      return true;
    }
    case OP_ACC: {
      if (kind !== "mxm") return false;
      const t = src.t0[k]!;
      // acc drains fp32 or int32 (codes 5, 6).
      if (!isCount(n) || t < 5) return false;
      const dst = groupOf(src.s0[k]!, flags & F_W0, 4, S);
      const row0 = src.a[k]!;
      if (dst < 0 || row0 === WIDE) return false;
      c.op[r] = OP_ACC;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.a[r] = row0;
      return true;
    }
    case OP_SXM: {
      if (kind !== "sxm") return false;
      const t = src.t0[k]!;
      const f = src.fn[k]!;
      // Maps (permute, distribute: codes 2, 3) are checked lane by lane: left to the full check.
      if (!isCount(n) || flags & F_B || f === 2 || f === 3) return false;
      // A shift's or rotate's amount must be whole: a WIDE cell may be a fraction (left to the full check).
      const cell = src.a[k]!;
      if (f <= 1 && cell === WIDE) return false;
      if (f === SXM_TRANSPOSE && n % 16 !== 0) return false;
      const bytes = TYPE_BYTES[t]!;
      const dst = groupOf(src.s0[k]!, flags & F_W0, bytes, S);
      const s = groupOf(src.s1[k]!, flags & (F_W0 << 1), bytes, S);
      if (dst < 0 || s < 0) return false;
      c.op[r] = OP_SXM;
      c.n[r] = n;
      c.slots[r] = n;
      c.fn[r] = f;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = s;
      c.a[r] = cell !== WIDE ? cell : aOf(src, k);
      c.b[r] = -1;
      c.latency[r] = m.sxm.latency;
      return true;
    }
    case OP_SEND:
    case OP_RECV: {
      if (kind !== "c2c" || !wired || !isCount(n)) return false;
      const t = src.t0[k]!;
      const send = op === OP_SEND;
      const g = send
        ? groupOf(src.s1[k]!, flags & (F_W0 << 1), TYPE_BYTES[t]!, S)
        : groupOf(src.s0[k]!, flags & F_W0, TYPE_BYTES[t]!, S);
      if (g < 0) return false;
      c.op[r] = op;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = t;
      if (send) c.s1[r] = g;
      else c.s0[r] = g;
      return true;
    }
    default:
      return false;
  }
}
