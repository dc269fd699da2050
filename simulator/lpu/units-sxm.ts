// SXM instructions (docs/isa.md, SXM): shift, rotate, permute, distribute, transpose. Lane moves apply to every
// byte plane alike. Results are put L_sxm cycles after the take; transpose outputs a group of 16 once its 16th
// input is in, vector i at t + 15 + L_sxm + i.
import type { Instruction } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Activity } from "./chip.ts";
import type { Simulator } from "./simulator.ts";
import { schedulePut } from "./units.ts";

type SxmInst = Extract<Instruction, { op: "sxm" }>;

function moveLanes(sim: Simulator, inst: SxmInst, plane: Uint8Array): Uint8Array {
  const lanes = sim.lanes;
  const out = new Uint8Array(lanes);
  switch (inst.fn) {
    case "shift":
      for (let l = 0; l < lanes; l++) {
        const src = l - inst.amount;
        out[l] = src >= 0 && src < lanes ? plane[src]! : 0;
      }
      return out;
    case "rotate":
      for (let l = 0; l < lanes; l++) out[l] = plane[(((l - inst.amount) % lanes) + lanes) % lanes]!;
      return out;
    case "permute":
    case "distribute": {
      const map = sim.program.maps[inst.map!]!;
      for (let l = 0; l < lanes; l++) out[l] = plane[map[l]!]!;
      return out;
    }
    case "transpose":
      throw new Error("internal error: transpose moves groups, not single vectors");
  }
}

export function sxmTake(sim: Simulator, act: Activity, inst: SxmInst, i: number, cycle: number): void {
  const bytes = ELEM_BYTES[inst.type];
  const planes = sim.take(act, inst.src, bytes, cycle);
  const latency = sim.machine.sxm.latency;
  if (inst.fn !== "transpose") {
    schedulePut(act, cycle + latency, planes ? planes.map((p) => moveLanes(sim, inst, p)) : null);
    return;
  }
  const group = ((act.work as Uint8Array[][] | undefined) ?? []) as Uint8Array[][];
  if (planes) group.push(planes);
  act.work = group;
  if (i % 16 !== 15) return;
  const g = Math.floor(i / 16);
  for (let v = 0; v < 16; v++) {
    const outCycle = act.t + 15 + latency + 16 * g + v;
    if (!planes) {
      schedulePut(act, outCycle, null);
      continue;
    }
    const outPlanes: Uint8Array[] = [];
    for (let b = 0; b < bytes; b++) {
      const o = new Uint8Array(sim.lanes);
      for (let lane = 0; lane < sim.lanes; lane++) {
        const s = Math.floor(lane / 16);
        const j = lane % 16;
        // output vector v, lane 16s + j  =  input vector j, lane 16s + v
        const srcLane = 16 * s + v;
        o[lane] = srcLane < sim.lanes ? group[j]![b]![srcLane]! : 0;
      }
      outPlanes.push(o);
    }
    schedulePut(act, outCycle, outPlanes);
  }
  act.work = [];
}
