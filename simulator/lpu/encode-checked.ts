// The fast path's one step per instruction: checks and encodes it in a single read of its fields. In: a placed
// instruction, its queue (number, unit kind, whether its link is wired) and the machine. Out: its row of a FastCode
// block and true, when the instruction certainly has no static fault (static-faults.ts) and every number the fast
// path reads fits a 32-bit integer; false otherwise, and then the caller runs the full check and encode.ts, which
// find and word the faults (this function only has to be sure, never to explain: anything unusual answers false).
//
// Why: the check and the encoding each walked the instruction's objects (a call per operand, a closure per report),
// and on compiled programs the two were a third of a fast run. The conditions below are those of staticFaults and
// InstructionCheck.check, op by op, written as one test each; test/simulator/lpu/encode-checked.test.ts checks that
// nothing faulty is let through and that what is accepted is encoded as encode() does.
import type { Placed, StreamRef, UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import {
  BINARY_FNS,
  cyclesPerVector,
  type FastCode,
  type Interner,
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
  SXM_FNS,
  SXM_TRANSPOSE,
  TYPE_BYTES,
} from "./code.ts";

const isInt32 = (x: number): boolean => (x | 0) === x;
/** A vector count the check accepts and a 32-bit column holds. */
const isCount = (n: number): boolean => (n | 0) === n && n >= 1;

/** The type code (code.ts TYPES) of a known element type, else -1. */
function typeCode(t: string): number {
  switch (t) {
    case "int8":
      return 0;
    case "uint8":
      return 1;
    case "fp8":
      return 2;
    case "fp16":
      return 3;
    case "bf16":
      return 4;
    case "fp32":
      return 5;
    case "int32":
      return 6;
    default:
      return -1;
  }
}

/** Types the MXM takes (int8, uint8, fp8, fp16, bf16: codes 0-4). */
const MXM_MAX_CODE = 4;

/** The group of a stream reference spanning `bytes` streams (dir * S + id), or -1 when it is out of range. */
function groupOf(s: StreamRef, bytes: number, S: number): number {
  const id = s.id;
  if ((id | 0) !== id || id < 0 || id + bytes > S) return -1;
  const dir = s.dir;
  return dir === "e" ? id : dir === "w" ? S + id : -1;
}

/** UNARY_FNS index of a VXM unary function, with 8 added for the float-only (transcendental) ones; -1 unknown. */
function unaryCode(fn: string): number {
  switch (fn) {
    case "copy":
      return 0;
    case "neg":
      return 1;
    case "abs":
      return 2;
    case "relu":
      return 3;
    case "tanh":
      return 4 + 8;
    case "exp":
      return 5 + 8;
    case "rsqrt":
      return 6 + 8;
    case "recip":
      return 7 + 8;
    default:
      return -1;
  }
}

/**
 * Encodes `placed` into row `r` of the block (rows cleared beforehand: clearRows) when it passes every static check
 * and fits; returns false, possibly with the row half written, otherwise.
 */
export function encodeChecked(
  c: FastCode,
  r: number,
  queue: number,
  kind: UnitKind,
  wired: boolean,
  placed: Placed,
  m: Machine,
  tokens: Interner,
): boolean {
  const cycle = placed.cycle;
  if (cycle !== undefined && !(isInt32(cycle) && cycle >= 0)) return false;
  const inst = placed.inst;
  const S = m.streamsPerDirection;
  c.queue[r] = queue;
  c.cycle[r] = cycle ?? -1;
  c.n[r] = 1;
  switch (inst.op) {
    case "nop":
      if (!isCount(inst.cycles)) return false;
      c.op[r] = OP_NOP;
      c.slots[r] = inst.cycles;
      return true;
    case "sync":
    case "notify":
      c.op[r] = inst.op === "sync" ? OP_SYNC : OP_NOTIFY;
      c.slots[r] = 1;
      c.a[r] = tokens.id(inst.token);
      return true;
    case "deskew": {
      const n = inst.n;
      const period = inst.period;
      if (n !== undefined && !isCount(n)) return false;
      if (period !== undefined && !isCount(period)) return false;
      const reps = n ?? 1;
      if (reps > 1 && period === undefined) return false;
      const slots = reps > 1 ? (reps - 1) * period! + 1 : 1;
      if (!isInt32(slots)) return false;
      c.op[r] = OP_DESKEW;
      c.n[r] = reps;
      c.b[r] = period ?? 1;
      c.slots[r] = slots;
      return true;
    }
    case "read":
    case "write": {
      if (kind !== "mem") return false;
      const n = inst.n;
      const g = groupOf(inst.stream, 1, S);
      if (!isCount(n) || g < 0 || !isInt32(inst.stride) || !isInt32(inst.addr)) return false;
      c.op[r] = inst.op === "read" ? OP_READ : OP_WRITE;
      c.n[r] = n;
      c.slots[r] = n;
      c.a[r] = inst.addr;
      c.b[r] = inst.stride;
      c.s0[r] = g;
      c.latency[r] = m.mem.readLatency;
      return true;
    }
    case "gather":
    case "scatter": {
      if (kind !== "mem") return false;
      const n = inst.n;
      const g = groupOf(inst.stream, 1, S);
      const map = groupOf(inst.map, 4, S);
      if (!isCount(n) || g < 0 || map < 0 || !isInt32(inst.base)) return false;
      c.op[r] = inst.op === "gather" ? OP_GATHER : OP_SCATTER;
      c.n[r] = n;
      c.slots[r] = n;
      c.a[r] = inst.base;
      c.s0[r] = g;
      c.s1[r] = map;
      c.latency[r] = m.mem.readLatency;
      return true;
    }
    case "vunary": {
      if (kind !== "vxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      const f = unaryCode(inst.fn);
      if (!isCount(n) || t < 0 || f < 0) return false;
      const transcendental = f >= 8;
      // tanh, exp, rsqrt, recip need a float type (int8, uint8, int32 are codes 0, 1, 6).
      if (transcendental && (t <= 1 || t === 6)) return false;
      const bytes = TYPE_BYTES[t]!;
      const dst = groupOf(inst.dst, bytes, S);
      const src = groupOf(inst.src, bytes, S);
      if (dst < 0 || src < 0) return false;
      c.op[r] = OP_VUNARY;
      c.n[r] = n;
      c.slots[r] = n;
      c.fn[r] = transcendental ? f - 8 : f;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = src;
      c.latency[r] = transcendental ? m.vxm.latency.transcendental : m.vxm.latency.simple;
      return true;
    }
    case "vbinary": {
      if (kind !== "vxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      if (!isCount(n) || t < 0) return false;
      const bytes = TYPE_BYTES[t]!;
      const dst = groupOf(inst.dst, bytes, S);
      const a = groupOf(inst.a, bytes, S);
      const b = inst.b;
      const bg = typeof b === "number" ? -1 : groupOf(b, bytes, S);
      if (dst < 0 || a < 0 || (typeof b !== "number" && bg < 0)) return false;
      c.op[r] = OP_VBINARY;
      c.n[r] = n;
      c.slots[r] = n;
      c.fn[r] = BINARY_FNS.indexOf(inst.fn);
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = a;
      if (typeof b === "number") c.b[r] = b;
      else c.s2[r] = bg;
      c.latency[r] = m.vxm.latency.simple;
      return true;
    }
    case "convert": {
      if (kind !== "vxm") return false;
      const n = inst.n;
      const from = typeCode(inst.from);
      const to = typeCode(inst.to);
      if (!isCount(n) || from < 0 || to < 0) return false;
      const dst = groupOf(inst.dst, TYPE_BYTES[to]!, S);
      const src = groupOf(inst.src, TYPE_BYTES[from]!, S);
      if (dst < 0 || src < 0) return false;
      c.op[r] = OP_CONVERT;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = from;
      c.t1[r] = to;
      c.s0[r] = dst;
      c.s1[r] = src;
      c.latency[r] = m.vxm.latency.convert;
      return true;
    }
    case "vaccum": {
      if (kind !== "vxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      if (!isCount(n) || t < 0) return false;
      const dst = groupOf(inst.dst, 4, S);
      const src = groupOf(inst.src, TYPE_BYTES[t]!, S);
      if (dst < 0 || src < 0) return false;
      c.op[r] = OP_VACCUM;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = src;
      c.latency[r] = m.vxm.latency.simple;
      return true;
    }
    case "lw": {
      if (kind !== "mxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      const w = inst.width ?? 1;
      if (!isCount(n) || t < 0 || t > MXM_MAX_CODE || !isCount(w) || w > m.mxm.maxLoadWidth) return false;
      const bytes = TYPE_BYTES[t]!;
      const src = groupOf(inst.src, bytes, S);
      if (src < 0 || inst.src.id + w * bytes > S || !isInt32(inst.row0)) return false;
      c.op[r] = OP_LW;
      c.n[r] = n;
      c.slots[r] = Math.ceil(n / w);
      c.t0[r] = t;
      c.s1[r] = src;
      c.a[r] = inst.row0;
      c.b[r] = w;
      return true;
    }
    case "iw":
      if (kind !== "mxm") return false;
      c.op[r] = OP_IW;
      c.slots[r] = m.mxm.installLatency;
      return true;
    case "abc": {
      if (kind !== "mxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      if (!isCount(n) || t < 0 || t > MXM_MAX_CODE) return false;
      const src = groupOf(inst.src, TYPE_BYTES[t]!, S);
      const cpv = cyclesPerVector(m, inst.type);
      if (src < 0 || !isInt32(inst.row0) || !isInt32(n * cpv)) return false;
      c.op[r] = OP_ABC;
      c.n[r] = n;
      c.slots[r] = n * cpv;
      c.t0[r] = t;
      c.s1[r] = src;
      c.a[r] = inst.row0;
      c.fn[r] = inst.accumulate ? 1 : 0;
      c.latency[r] = m.mxm.latency;
      c.b[r] = cpv;
      return true;
    }
    case "acc": {
      if (kind !== "mxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      // acc drains fp32 or int32 (codes 5, 6).
      if (!isCount(n) || t < 5) return false;
      const dst = groupOf(inst.dst, 4, S);
      if (dst < 0 || !isInt32(inst.row0)) return false;
      c.op[r] = OP_ACC;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.a[r] = inst.row0;
      return true;
    }
    case "sxm": {
      if (kind !== "sxm") return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      const fn = inst.fn;
      // Maps (permute, distribute) are checked lane by lane: left to the full check.
      if (!isCount(n) || t < 0 || inst.map !== undefined || fn === "permute" || fn === "distribute")
        return false;
      if ((fn === "shift" || fn === "rotate") && !Number.isInteger(inst.amount)) return false;
      const f = SXM_FNS.indexOf(fn);
      if (f < 0 || (f === SXM_TRANSPOSE && n % 16 !== 0)) return false;
      const bytes = TYPE_BYTES[t]!;
      const dst = groupOf(inst.dst, bytes, S);
      const src = groupOf(inst.src, bytes, S);
      if (dst < 0 || src < 0) return false;
      c.op[r] = OP_SXM;
      c.n[r] = n;
      c.slots[r] = n;
      c.fn[r] = f;
      c.t0[r] = t;
      c.s0[r] = dst;
      c.s1[r] = src;
      c.a[r] = inst.amount;
      c.b[r] = -1;
      c.latency[r] = m.sxm.latency;
      return true;
    }
    case "send":
    case "recv": {
      if (kind !== "c2c" || !wired) return false;
      const n = inst.n;
      const t = typeCode(inst.type);
      if (!isCount(n) || t < 0) return false;
      const g = groupOf(inst.op === "send" ? inst.src : inst.dst, TYPE_BYTES[t]!, S);
      if (g < 0) return false;
      c.op[r] = inst.op === "send" ? OP_SEND : OP_RECV;
      c.n[r] = n;
      c.slots[r] = n;
      c.t0[r] = t;
      if (inst.op === "send") c.s1[r] = g;
      else c.s0[r] = g;
      return true;
    }
    default:
      // An op the program should not hold (a hand-made JSON file): the full check words it.
      return false;
  }
}
