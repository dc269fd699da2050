// Encodes one instruction into a row of the simulator's columns (code.ts): opcode, queue, issue cycle, vectors,
// slots, operands as numbers, stream groups as `dir * streams + id`, the output latency. In: a checked Instruction and
// the machine. Out: the row, and whether every number the fast path reads fits a 32-bit integer (FastCode).
import { deskewSlots, type ElemType, type Instruction, type StreamRef } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import {
  BINARY_FNS,
  type Columns,
  cyclesPerVector,
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
  UNARY_FNS,
} from "./code.ts";
import { unaryLatencyClass } from "./vxm-ops.ts";

/** The code of an element type (its index in TYPES); a switch, cheaper per instruction than a keyed lookup. */
function typeCode(t: ElemType): number {
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
      // Not an ElemType (a hand-made JSON program): code 0, as an absent key of a lookup table would store.
      return 0;
  }
}

/** The group index of a stream group: dir * streamsPerDirection + id. */
function groupOf(r: StreamRef, S: number): number {
  return (r.dir === "e" ? 0 : S) + r.id;
}

/** Whether a number survives a 32-bit integer column unchanged. */
const fits32 = (x: number): boolean => (x | 0) === x;

/**
 * Writes instruction `id` (already checked by prepare.ts) into the code arrays. Returns whether every number the
 * fast path reads from the row fits a 32-bit integer (FastCode), i.e. was written unchanged.
 */
export function encode(
  c: Columns,
  id: number,
  queue: number,
  cycle: number | undefined,
  inst: Instruction,
  m: Machine,
  tokens: Interner,
  maps: Interner,
): boolean {
  const S = m.streamsPerDirection;
  c.queue[id] = queue;
  c.cycle[id] = cycle ?? -1;
  c.n[id] = 1;
  const ok = cycle === undefined || fits32(cycle);
  const L = m.vxm.latency;
  switch (inst.op) {
    case "nop":
      c.op[id] = OP_NOP;
      c.slots[id] = inst.cycles;
      return ok && fits32(inst.cycles);
    case "sync":
    case "notify":
      c.op[id] = inst.op === "sync" ? OP_SYNC : OP_NOTIFY;
      c.slots[id] = 1;
      c.a[id] = tokens.id(inst.token);
      return ok;
    case "deskew": {
      // n repetitions `b` cycles apart; the queue is occupied from the first to the last.
      const slots = deskewSlots(inst);
      c.op[id] = OP_DESKEW;
      c.n[id] = inst.n ?? 1;
      c.b[id] = inst.period ?? 1;
      c.slots[id] = slots;
      return ok && fits32(inst.n ?? 1) && fits32(inst.period ?? 1) && fits32(slots);
    }
    case "read":
    case "write":
      c.op[id] = inst.op === "read" ? OP_READ : OP_WRITE;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.a[id] = inst.addr;
      c.b[id] = inst.stride;
      c.s0[id] = groupOf(inst.stream, S);
      c.latency[id] = m.mem.readLatency;
      return ok && fits32(inst.n) && fits32(inst.addr) && fits32(inst.stride);
    case "gather":
    case "scatter":
      c.op[id] = inst.op === "gather" ? OP_GATHER : OP_SCATTER;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.a[id] = inst.base;
      c.s0[id] = groupOf(inst.stream, S);
      c.s1[id] = groupOf(inst.map, S);
      c.latency[id] = m.mem.readLatency;
      return ok && fits32(inst.n) && fits32(inst.base);
    case "vunary":
      c.op[id] = OP_VUNARY;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.fn[id] = UNARY_FNS.indexOf(inst.fn);
      c.t0[id] = typeCode(inst.type);
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.latency[id] = L[unaryLatencyClass(inst.fn)];
      return ok && fits32(inst.n);
    case "vbinary":
      c.op[id] = OP_VBINARY;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.fn[id] = BINARY_FNS.indexOf(inst.fn);
      c.t0[id] = typeCode(inst.type);
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.a, S);
      if (typeof inst.b === "number") c.b[id] = inst.b;
      else c.s2[id] = groupOf(inst.b, S);
      c.latency[id] = L.simple;
      return ok && fits32(inst.n);
    case "convert":
      c.op[id] = OP_CONVERT;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = typeCode(inst.from);
      c.t1[id] = typeCode(inst.to);
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.latency[id] = L.convert;
      return ok && fits32(inst.n);
    case "vaccum":
      c.op[id] = OP_VACCUM;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = typeCode(inst.type);
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.latency[id] = L.simple;
      return ok && fits32(inst.n);
    case "lw": {
      const w = inst.width ?? 1;
      c.op[id] = OP_LW;
      c.n[id] = inst.n;
      c.slots[id] = Math.ceil(inst.n / w);
      c.t0[id] = typeCode(inst.type);
      c.s1[id] = groupOf(inst.src, S);
      c.a[id] = inst.row0;
      c.b[id] = w;
      return ok && fits32(inst.n) && fits32(inst.row0) && fits32(w);
    }
    case "iw":
      c.op[id] = OP_IW;
      c.slots[id] = m.mxm.installLatency;
      return ok;
    case "abc":
      c.op[id] = OP_ABC;
      c.n[id] = inst.n;
      c.slots[id] = inst.n * cyclesPerVector(m, inst.type);
      c.t0[id] = typeCode(inst.type);
      c.s1[id] = groupOf(inst.src, S);
      c.a[id] = inst.row0;
      c.fn[id] = inst.accumulate ? 1 : 0;
      c.latency[id] = m.mxm.latency;
      c.b[id] = cyclesPerVector(m, inst.type);
      return ok && fits32(inst.n) && fits32(inst.row0) && fits32(inst.n * cyclesPerVector(m, inst.type));
    case "acc":
      c.op[id] = OP_ACC;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = typeCode(inst.type);
      c.s0[id] = groupOf(inst.dst, S);
      c.a[id] = inst.row0;
      return ok && fits32(inst.n) && fits32(inst.row0);
    case "sxm":
      c.op[id] = OP_SXM;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.fn[id] = SXM_FNS.indexOf(inst.fn);
      c.t0[id] = typeCode(inst.type);
      c.s0[id] = groupOf(inst.dst, S);
      c.s1[id] = groupOf(inst.src, S);
      c.a[id] = inst.amount;
      c.b[id] = inst.map === undefined ? -1 : maps.id(inst.map);
      c.latency[id] = m.sxm.latency;
      return ok && fits32(inst.n);
    case "send":
      c.op[id] = OP_SEND;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = typeCode(inst.type);
      c.s1[id] = groupOf(inst.src, S);
      return ok && fits32(inst.n);
    case "recv":
      c.op[id] = OP_RECV;
      c.n[id] = inst.n;
      c.slots[id] = inst.n;
      c.t0[id] = typeCode(inst.type);
      c.s0[id] = groupOf(inst.dst, S);
      return ok && fits32(inst.n);
    default:
      return assertNever(inst, "instruction");
  }
}
