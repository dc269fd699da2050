// What each instruction does once issued, vector by vector, by the timing rules of docs/isa.md. In: the issued
// instruction (an Activity) and the events it schedules. Out: takes, puts, SRAM accesses, MXM and link updates.
// Each instruction keeps one cursor event for its takes (vector i+1 is scheduled when vector i is done) and one
// event per result in flight, so the heap holds only what is in flight.
import type { Instruction, StreamRef } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Activity, ChipState } from "./chip.ts";
import { PHASE_PUT, PHASE_TAKE, PHASE_UPDATE, type SimEvent } from "./heap.ts";
import { cyclesPerVector, type Simulator } from "./simulator.ts";
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

/** The stream group an instruction puts its results on, and its width in streams. */
export function outputOf(
  inst: Instruction,
): { ref: StreamRef; bytes: number; type?: import("../../arch/isa.ts").ElemType } | undefined {
  switch (inst.op) {
    case "read":
    case "gather":
      return { ref: inst.stream, bytes: 1 };
    case "vunary":
    case "vbinary":
    case "sxm":
    case "recv":
      return { ref: inst.dst, bytes: ELEM_BYTES[inst.type], type: inst.type };
    case "convert":
      return { ref: inst.dst, bytes: ELEM_BYTES[inst.to], type: inst.to };
    case "vaccum":
      return {
        ref: inst.dst,
        bytes: 4,
        type: inst.type === "int8" || inst.type === "uint8" || inst.type === "int32" ? "int32" : "fp32",
      };
    case "acc":
      return { ref: inst.dst, bytes: 4, type: inst.type };
    default:
      return undefined;
  }
}

/** Schedules a result to be put on the instruction's output group at `cycle`. */
export function schedulePut(act: Activity, cycle: number, planes: Uint8Array[] | null): void {
  act.q.chip.heap.push(cycle, PHASE_PUT, K_PUT, act, 0, planes);
}

export function startInstruction(sim: Simulator, act: Activity): void {
  const inst = act.placed.inst;
  const heap = act.q.chip.heap;
  switch (inst.op) {
    case "read":
      heap.push(act.t, PHASE_UPDATE, K_MEMREAD, act, 0);
      return;
    case "iw":
      startIw(sim, act);
      return;
    case "abc":
      startAbc(sim, act, inst);
      heap.push(act.t, PHASE_TAKE, K_TAKE, act, 0);
      return;
    case "lw":
      startLw(sim, act, inst);
      heap.push(act.t, PHASE_TAKE, K_TAKE, act, 0);
      return;
    case "acc":
      startAcc(sim, act, inst);
      heap.push(act.t, PHASE_PUT, K_DRAIN, act, 0);
      return;
    case "recv":
      heap.push(act.t, PHASE_PUT, K_RECV, act, 0);
      return;
    default:
      heap.push(act.t, PHASE_TAKE, K_TAKE, act, 0);
  }
}

function take(sim: Simulator, act: Activity, i: number, cycle: number): void {
  const inst = act.placed.inst;
  switch (inst.op) {
    case "write":
    case "gather":
    case "scatter":
      memTake(sim, act, inst, i, cycle);
      return;
    case "vunary":
    case "vbinary":
    case "convert":
    case "vaccum":
      vxmTake(sim, act, inst, i, cycle);
      return;
    case "lw":
    case "abc":
      mxmTake(sim, act, inst, i, cycle);
      return;
    case "sxm":
      sxmTake(sim, act, inst, i, cycle);
      return;
    case "send":
      c2cTake(sim, act, inst, i, cycle);
      return;
    default:
      throw new Error(`internal error: '${inst.op}' does not take streams`);
  }
}

/** Take cycles of an instruction: its vectors, except that lw loads `width` rows per cycle. */
function vectorCount(inst: Instruction): number {
  if (inst.op === "lw") return Math.ceil(inst.n / (inst.width ?? 1));
  return "n" in inst ? inst.n : 1;
}

export function handleEvent(sim: Simulator, chip: ChipState, ev: SimEvent, cycle: number): void {
  switch (ev.kind) {
    case K_TAKE: {
      const act = ev.owner as Activity;
      take(sim, act, ev.i, cycle);
      const inst = act.placed.inst;
      if (ev.i + 1 < vectorCount(inst)) {
        const next =
          inst.op === "abc" ? act.t + (ev.i + 1) * cyclesPerVector(sim.machine, inst.type) : cycle + 1;
        chip.heap.push(next, PHASE_TAKE, K_TAKE, act, ev.i + 1);
      }
      return;
    }
    case K_PUT: {
      const act = ev.owner as Activity;
      const out = outputOf(act.placed.inst)!;
      sim.put(act, out.ref, ev.data as Uint8Array[] | null, out.bytes, cycle, out.type);
      return;
    }
    case K_MEMREAD: {
      const act = ev.owner as Activity;
      memRead(sim, act, ev.i, cycle);
      if (ev.i + 1 < vectorCount(act.placed.inst))
        chip.heap.push(cycle + 1, PHASE_UPDATE, K_MEMREAD, act, ev.i + 1);
      return;
    }
    case K_ACCUPDATE:
      accUpdate(sim, ev.owner as Activity, ev.i, ev.data as Float64Array | null, cycle);
      return;
    case K_DRAIN: {
      const act = ev.owner as Activity;
      accDrain(sim, act, ev.i, cycle);
      if (ev.i + 1 < vectorCount(act.placed.inst))
        chip.heap.push(cycle + 1, PHASE_PUT, K_DRAIN, act, ev.i + 1);
      return;
    }
    case K_RECV: {
      const act = ev.owner as Activity;
      c2cRecv(sim, act, ev.i, cycle);
      if (ev.i + 1 < vectorCount(act.placed.inst))
        chip.heap.push(cycle + 1, PHASE_PUT, K_RECV, act, ev.i + 1);
      return;
    }
    case K_DEPART:
      c2cDepart(sim, chip, ev, cycle);
      return;
    case K_ARRIVE:
      c2cArrive(sim, chip, ev, cycle);
      return;
    default:
      throw new Error(`internal error: unknown event kind ${ev.kind}`);
  }
}
