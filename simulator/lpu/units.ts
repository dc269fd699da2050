// What each instruction does once issued, vector by vector, by the timing rules of docs/isa.md. In: the issued
// instruction (its id; its fields are code rows) and the events it schedules. Out: takes, puts, SRAM accesses, MXM
// and link updates. Each instruction keeps one cursor event for its takes (vector i+1 is scheduled when vector i is
// done) and one event per result in flight, so the calendar holds only what is in flight.
import type { ElemType } from "../../arch/isa.ts";
import type { ChipState, QueueState, Vec } from "./chip.ts";
import {
  OP_ABC,
  OP_ACC,
  OP_CONVERT,
  OP_GATHER,
  OP_IW,
  OP_LW,
  OP_READ,
  OP_RECV,
  OP_SCATTER,
  OP_SEND,
  OP_SXM,
  OP_VACCUM,
  OP_VBINARY,
  OP_VUNARY,
  OP_WRITE,
  TYPE_BYTES,
  TYPES,
} from "./code.ts";
import { PHASE_ISSUE, PHASE_PUT, PHASE_TAKE, PHASE_UPDATE } from "./events.ts";
import type { Simulator } from "./simulator.ts";
import { c2cArrive, c2cDepart, c2cRecv, c2cTake } from "./units-c2c.ts";
import { memRead, memTake } from "./units-mem.ts";
import { accDrain, accUpdate, mxmTake, startAbc, startAcc, startIw, startLw } from "./units-mxm.ts";
import { sxmTake } from "./units-sxm.ts";
import { vxmTake } from "./units-vxm.ts";

export const K_ISSUE = 0;
export const K_TAKE = 1;
export const K_PUT = 2;
export const K_MEMREAD = 3;
export const K_ACCUPDATE = 4;
export const K_DRAIN = 5;
export const K_RECV = 6;
export const K_DEPART = 7;
export const K_ARRIVE = 8;
/** Repetition i (>= 1) of a repeated deskew (issue.ts schedules repetition 1; each schedules the next). */
export const K_DESKEW = 9;

const INT32 = TYPES.indexOf("int32");
const FP32 = TYPES.indexOf("fp32");

/** The accumulator type code of a type code: int32 for integers, fp32 for floats. */
export function accTypeCode(t: number): number {
  const name = TYPES[t];
  return name === "int8" || name === "uint8" || name === "int32" ? INT32 : FP32;
}

/** Schedules a result (a pooled vector, or null when values are off) to be put on the output group at `cycle`. */
export function schedulePut(chip: ChipState, id: number, cycle: number, v: Vec | null): void {
  chip.heap.push(cycle, PHASE_PUT, K_PUT, id, 0, v);
}

export function startInstruction(
  sim: Simulator,
  chip: ChipState,
  q: QueueState,
  id: number,
  op: number,
  t: number,
): void {
  const heap = chip.heap;
  switch (op) {
    case OP_READ:
      heap.push(t, PHASE_UPDATE, K_MEMREAD, id, 0, null);
      return;
    case OP_IW:
      startIw(sim, q, id, t);
      return;
    case OP_ABC:
      startAbc(sim, q, id, t);
      heap.push(t, PHASE_TAKE, K_TAKE, id, 0, null);
      return;
    case OP_LW:
      startLw(sim, q, id, t);
      heap.push(t, PHASE_TAKE, K_TAKE, id, 0, null);
      return;
    case OP_ACC:
      startAcc(sim, q, id, t);
      heap.push(t, PHASE_PUT, K_DRAIN, id, 0, null);
      return;
    case OP_RECV:
      heap.push(t, PHASE_PUT, K_RECV, id, 0, null);
      return;
    default:
      heap.push(t, PHASE_TAKE, K_TAKE, id, 0, null);
  }
}

function take(sim: Simulator, q: QueueState, id: number, op: number, i: number, cycle: number): void {
  switch (op) {
    case OP_WRITE:
    case OP_GATHER:
    case OP_SCATTER:
      memTake(sim, q, id, op, i, cycle);
      return;
    case OP_VUNARY:
    case OP_VBINARY:
    case OP_CONVERT:
    case OP_VACCUM:
      vxmTake(sim, q, id, op, i, cycle);
      return;
    case OP_LW:
    case OP_ABC:
      mxmTake(sim, q, id, op, i, cycle);
      return;
    case OP_SXM:
      sxmTake(sim, q, id, i, cycle);
      return;
    case OP_SEND:
      c2cTake(sim, q, id, i, cycle);
      return;
    default:
      throw new Error(`internal error: opcode ${op} does not take streams`);
  }
}

/** Puts the result of a take-driven instruction on its output group (docs/isa.md: dst, or the read's stream). */
function putResult(sim: Simulator, q: QueueState, id: number, v: Vec | null, cycle: number): void {
  const code = sim.code;
  const op = code.op[id]!;
  let bytes: number;
  let type: ElemType | undefined;
  switch (op) {
    case OP_READ:
    case OP_GATHER:
      bytes = 1;
      type = undefined;
      break;
    case OP_CONVERT:
      bytes = TYPE_BYTES[code.t1[id]!]!;
      type = TYPES[code.t1[id]!];
      break;
    case OP_VACCUM: {
      bytes = 4;
      type = TYPES[accTypeCode(code.t0[id]!)];
      break;
    }
    default:
      bytes = TYPE_BYTES[code.t0[id]!]!;
      type = TYPES[code.t0[id]!];
  }
  sim.put(q, id, code.s0[id]!, v ? v.planes : null, bytes, cycle, type);
}

export function handleEvent(
  sim: Simulator,
  chip: ChipState,
  kind: number,
  owner: number,
  i: number,
  ref: unknown,
  cycle: number,
): void {
  const code = sim.code;
  switch (kind) {
    case K_TAKE: {
      const q = sim.queues[code.queue[owner]!]!;
      const op = code.op[owner]!;
      take(sim, q, owner, op, i, cycle);
      // lw takes ceil(n / width) times (its slots); every other op n times.
      const takes = op === OP_LW ? code.slots[owner]! : code.n[owner]!;
      if (i + 1 < takes) {
        // abc takes vector i at t + i*C: the next is C cycles after this one.
        const next = op === OP_ABC ? cycle + code.b[owner]! : cycle + 1;
        chip.heap.push(next, PHASE_TAKE, K_TAKE, owner, i + 1, null);
      }
      return;
    }
    case K_PUT: {
      const v = ref as Vec | null;
      putResult(sim, sim.queues[code.queue[owner]!]!, owner, v, cycle);
      if (v) sim.freeVec(v);
      return;
    }
    case K_MEMREAD: {
      memRead(sim, chip, sim.queues[code.queue[owner]!]!, owner, i, cycle);
      if (i + 1 < code.n[owner]!) chip.heap.push(cycle + 1, PHASE_UPDATE, K_MEMREAD, owner, i + 1, null);
      return;
    }
    case K_ACCUPDATE:
      accUpdate(sim, sim.queues[code.queue[owner]!]!, owner, i, ref as Vec | null, cycle);
      return;
    case K_DRAIN: {
      accDrain(sim, sim.queues[code.queue[owner]!]!, owner, i, cycle);
      if (i + 1 < code.n[owner]!) chip.heap.push(cycle + 1, PHASE_PUT, K_DRAIN, owner, i + 1, null);
      return;
    }
    case K_RECV: {
      c2cRecv(sim, sim.queues[code.queue[owner]!]!, owner, cycle);
      if (i + 1 < code.n[owner]!) chip.heap.push(cycle + 1, PHASE_PUT, K_RECV, owner, i + 1, null);
      return;
    }
    case K_DEPART:
      c2cDepart(sim, chip, owner, i, ref as Uint8Array | null, cycle);
      return;
    case K_ARRIVE:
      c2cArrive(sim, chip, owner, ref as Uint8Array | null, cycle);
      return;
    case K_DESKEW:
      // Exactly what a separate deskew issued in this cycle does: the chip pauses after the cycle (simulator.ts).
      chip.deskewAt = cycle;
      if (sim.logEntries)
        sim.note(chip, cycle, `${sim.instName(owner)} deskews (${i + 1} of ${code.n[owner]})`);
      if (i + 1 < code.n[owner]!)
        chip.heap.push(cycle + code.b[owner]!, PHASE_ISSUE, K_DESKEW, owner, i + 1, null);
      return;
    default:
      throw new Error(`internal error: unknown event kind ${kind}`);
  }
}
