// SXM instructions (docs/isa.md, SXM): shift, rotate, permute, distribute, transpose. Lane moves apply to every
// byte plane alike. Results are put L_sxm cycles after the take; transpose outputs a group of 16 once its 16th
// input is in, vector i at t + 15 + L_sxm + i.
import type { QueueState, Vec } from "./chip.ts";
import { SXM_FNS, SXM_TRANSPOSE, TYPE_BYTES } from "./code.ts";
import type { Simulator } from "./simulator.ts";
import { schedulePut } from "./units.ts";

function moveLanes(sim: Simulator, id: number, plane: Uint8Array, out: Uint8Array): void {
  const lanes = sim.lanes;
  const code = sim.code;
  const amount = code.a[id]!;
  switch (SXM_FNS[code.fn[id]!]) {
    case "shift":
      for (let l = 0; l < lanes; l++) {
        const src = l - amount;
        out[l] = src >= 0 && src < lanes ? plane[src]! : 0;
      }
      return;
    case "rotate":
      for (let l = 0; l < lanes; l++) out[l] = plane[(((l - amount) % lanes) + lanes) % lanes]!;
      return;
    case "permute":
    case "distribute": {
      const map = sim.program.maps[sim.prepared.maps.names[code.b[id]!]!]!;
      for (let l = 0; l < lanes; l++) out[l] = plane[map[l]!]!;
      return;
    }
    default:
      throw new Error("internal error: transpose moves groups, not single vectors");
  }
}

export function sxmTake(sim: Simulator, q: QueueState, id: number, i: number, cycle: number): void {
  const code = sim.code;
  const bytes = TYPE_BYTES[code.t0[id]!]!;
  sim.take(q, id, code.s1[id]!, bytes, cycle);
  const latency = code.latency[id]!;
  const f = sim.functional;
  if (code.fn[id] !== SXM_TRANSPOSE) {
    let v: Vec | null = null;
    if (f) {
      v = sim.allocVec();
      for (let b = 0; b < bytes; b++) moveLanes(sim, id, sim.taken[b]!, v.planes[b]!);
    }
    schedulePut(q.chip, id, cycle + latency, v);
    return;
  }
  // The group of up to 16 input vectors, copied (stream words change as the streams move on).
  let group = sim.work.get(id) as Vec[] | undefined;
  if (!group) {
    group = [];
    sim.work.set(id, group);
  }
  if (f) {
    const v = sim.allocVec();
    for (let b = 0; b < bytes; b++) v.planes[b]!.set(sim.taken[b]!);
    group.push(v);
  }
  if (i % 16 !== 15) return;
  const g = Math.floor(i / 16);
  const lanes = sim.lanes;
  const t = cycle - i; // vector i is taken at t + i
  for (let v = 0; v < 16; v++) {
    const outCycle = t + 15 + latency + 16 * g + v;
    if (!f) {
      schedulePut(q.chip, id, outCycle, null);
      continue;
    }
    const out = sim.allocVec();
    for (let b = 0; b < bytes; b++) {
      const o = out.planes[b]!;
      for (let lane = 0; lane < lanes; lane++) {
        const s = Math.floor(lane / 16);
        const j = lane % 16;
        // output vector v, lane 16s + j  =  input vector j, lane 16s + v
        const srcLane = 16 * s + v;
        o[lane] = srcLane < lanes ? group[j]!.planes[b]![srcLane]! : 0;
      }
    }
    schedulePut(q.chip, id, outCycle, out);
  }
  for (const v of group) sim.freeVec(v);
  group.length = 0;
  if (i === code.n[id]! - 1) sim.work.delete(id);
}
