// Encodes one instruction into a row of the simulator's columns (code.ts): opcode, queue, issue cycle, vectors,
// slots, operands as numbers, stream groups as `dir * streams + id`, the output latency. In: a checked row of a
// queue's program columns (arch/columns.ts) and the machine. Out: the row, and whether every number the fast path reads fits a 32-bit integer (FastCode).

import {
  aOf,
  bOf,
  cycleOf,
  F_ACC,
  F_B,
  F_IMM,
  F_N,
  F_W0,
  FIELD_S0,
  nOf,
  wideValue,
} from "../../arch/columns.ts";
import type { InstColumns } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { Interner } from "../../util/interner.ts";
import {
  type Columns,
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
  TYPES,
} from "./code.ts";

/** The group index of stream `slot` of row k: dir * streamsPerDirection + id. */
function groupOf(src: InstColumns, slot: 0 | 1 | 2, k: number, S: number): number {
  const col = slot === 0 ? src.s0 : slot === 1 ? src.s1 : src.s2;
  return (src.flags[k]! & (F_W0 << slot) ? S : 0) + wideValue(src, FIELD_S0 + slot, k, col[k]!);
}

/** Whether a number survives a 32-bit integer column unchanged. */
const fits32 = (x: number): boolean => (x | 0) === x;

/**
 * Writes row k of `src` (already checked by prepare.ts), its issue cycle `shift` later, as instruction `id` into the
 * code arrays. Returns whether every number the fast path reads from the row fits a 32-bit integer (FastCode), i.e.
 * was written unchanged.
 */
export function encode(
  c: Columns,
  id: number,
  queue: number,
  src: InstColumns,
  k: number,
  shift: number,
  m: Machine,
  tokens: Interner,
  maps: Interner,
): boolean {
  const S = m.streamsPerDirection;
  const given = cycleOf(src, k);
  const cycle = given === undefined ? undefined : given + shift;
  const flags = src.flags[k]!;
  c.queue[id] = queue;
  c.cycle[id] = cycle ?? -1;
  c.n[id] = 1;
  const ok = cycle === undefined || fits32(cycle);
  const L = m.vxm.latency;
  const op = src.op[k]!;
  switch (op) {
    case OP_NOP: {
      const cycles = nOf(src, k);
      c.op[id] = OP_NOP;
      c.slots[id] = cycles;
      return ok && fits32(cycles);
    }
    case OP_SYNC:
    case OP_NOTIFY:
      c.op[id] = op;
      c.slots[id] = 1;
      c.a[id] = tokens.id(src.strings[aOf(src, k)]!);
      return ok;
    case OP_DESKEW: {
      // n repetitions `b` cycles apart; the queue is occupied from the first to the last.
      const n = flags & F_N ? nOf(src, k) : 1;
      const period = flags & F_B ? bOf(src, k) : 1;
      const slots = n > 1 ? (n - 1) * period + 1 : 1;
      c.op[id] = OP_DESKEW;
      c.n[id] = n;
      c.b[id] = period;
      c.slots[id] = slots;
      return ok && fits32(n) && fits32(period) && fits32(slots);
    }
    case OP_READ:
    case OP_WRITE: {
      const n = nOf(src, k);
      const addr = aOf(src, k);
      const stride = bOf(src, k);
      c.op[id] = op;
      c.n[id] = n;
      c.slots[id] = n;
      c.a[id] = addr;
      c.b[id] = stride;
      c.s0[id] = groupOf(src, 0, k, S);
      c.latency[id] = m.mem.readLatency;
      return ok && fits32(n) && fits32(addr) && fits32(stride);
    }
    case OP_GATHER:
    case OP_SCATTER: {
      const n = nOf(src, k);
      const base = aOf(src, k);
      c.op[id] = op;
      c.n[id] = n;
      c.slots[id] = n;
      c.a[id] = base;
      c.s0[id] = groupOf(src, 0, k, S);
      c.s1[id] = groupOf(src, 1, k, S);
      c.latency[id] = m.mem.readLatency;
      return ok && fits32(n) && fits32(base);
    }
    case OP_VUNARY: {
      const n = nOf(src, k);
      const fn = src.fn[k]!;
      c.op[id] = OP_VUNARY;
      c.n[id] = n;
      c.slots[id] = n;
      c.fn[id] = fn;
      c.t0[id] = src.t0[k]!;
      c.s0[id] = groupOf(src, 0, k, S);
      c.s1[id] = groupOf(src, 1, k, S);
      // tanh, exp, rsqrt, recip (UNARY_FNS 4-7) are the transcendental ones (vxm-ops.ts unaryLatencyClass).
      c.latency[id] = fn >= 4 ? L.transcendental : L.simple;
      return ok && fits32(n);
    }
    case OP_VBINARY: {
      const n = nOf(src, k);
      c.op[id] = OP_VBINARY;
      c.n[id] = n;
      c.slots[id] = n;
      c.fn[id] = src.fn[k]!;
      c.t0[id] = src.t0[k]!;
      c.s0[id] = groupOf(src, 0, k, S);
      c.s1[id] = groupOf(src, 1, k, S);
      if (flags & F_IMM) c.b[id] = aOf(src, k);
      else c.s2[id] = groupOf(src, 2, k, S);
      c.latency[id] = L.simple;
      return ok && fits32(n);
    }
    case OP_CONVERT: {
      const n = nOf(src, k);
      c.op[id] = OP_CONVERT;
      c.n[id] = n;
      c.slots[id] = n;
      c.t0[id] = src.t0[k]!;
      c.t1[id] = src.t1[k]!;
      c.s0[id] = groupOf(src, 0, k, S);
      c.s1[id] = groupOf(src, 1, k, S);
      c.latency[id] = L.convert;
      return ok && fits32(n);
    }
    case OP_VACCUM: {
      const n = nOf(src, k);
      c.op[id] = OP_VACCUM;
      c.n[id] = n;
      c.slots[id] = n;
      c.t0[id] = src.t0[k]!;
      c.s0[id] = groupOf(src, 0, k, S);
      c.s1[id] = groupOf(src, 1, k, S);
      c.latency[id] = L.simple;
      return ok && fits32(n);
    }
    case OP_LW: {
      const n = nOf(src, k);
      const row0 = aOf(src, k);
      const w = flags & F_B ? bOf(src, k) : 1;
      c.op[id] = OP_LW;
      c.n[id] = n;
      c.slots[id] = Math.ceil(n / w);
      c.t0[id] = src.t0[k]!;
      c.s1[id] = groupOf(src, 1, k, S);
      c.a[id] = row0;
      c.b[id] = w;
      return ok && fits32(n) && fits32(row0) && fits32(w);
    }
    case OP_IW:
      c.op[id] = OP_IW;
      c.slots[id] = m.mxm.installLatency;
      return ok;
    case OP_ABC: {
      const n = nOf(src, k);
      const row0 = aOf(src, k);
      const cpv = cyclesPerVector(m, TYPES[src.t0[k]!]!);
      c.op[id] = OP_ABC;
      c.n[id] = n;
      c.slots[id] = n * cpv;
      c.t0[id] = src.t0[k]!;
      c.s1[id] = groupOf(src, 1, k, S);
      c.a[id] = row0;
      c.fn[id] = flags & F_ACC ? 1 : 0;
      c.latency[id] = m.mxm.latency;
      c.b[id] = cpv;
      return ok && fits32(n) && fits32(row0) && fits32(n * cpv);
    }
    case OP_ACC: {
      const n = nOf(src, k);
      const row0 = aOf(src, k);
      c.op[id] = OP_ACC;
      c.n[id] = n;
      c.slots[id] = n;
      c.t0[id] = src.t0[k]!;
      c.s0[id] = groupOf(src, 0, k, S);
      c.a[id] = row0;
      return ok && fits32(n) && fits32(row0);
    }
    case OP_SXM: {
      const n = nOf(src, k);
      c.op[id] = OP_SXM;
      c.n[id] = n;
      c.slots[id] = n;
      c.fn[id] = src.fn[k]!;
      c.t0[id] = src.t0[k]!;
      c.s0[id] = groupOf(src, 0, k, S);
      c.s1[id] = groupOf(src, 1, k, S);
      c.a[id] = aOf(src, k);
      c.b[id] = flags & F_B ? maps.id(src.strings[bOf(src, k)]!) : -1;
      c.latency[id] = m.sxm.latency;
      return ok && fits32(n);
    }
    case OP_SEND:
    case OP_RECV: {
      const n = nOf(src, k);
      c.op[id] = op;
      c.n[id] = n;
      c.slots[id] = n;
      c.t0[id] = src.t0[k]!;
      if (op === OP_SEND) c.s1[id] = groupOf(src, 1, k, S);
      else c.s0[id] = groupOf(src, 0, k, S);
      return ok && fits32(n);
    }
    default:
      throw new Error(`internal error: opcode ${op}`);
  }
}
