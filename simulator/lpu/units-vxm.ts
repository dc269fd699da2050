// VXM ALU instructions (docs/isa.md, VXM): unary, binary, convert and accum. Operands are taken at t + i; the
// result is put L cycles later (L by op class). accum puts one sum, in the accumulator type, after the last take.
import type { ElemType, Instruction } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Activity } from "./chip.ts";
import type { Simulator } from "./simulator.ts";
import { schedulePut } from "./units.ts";
import { accumulatorType, decode, encode, roundConvert, roundResult } from "./values.ts";
import { applyBinary, applyUnary, unaryLatencyClass } from "./vxm-ops.ts";

type VxmInst = Extract<Instruction, { op: "vunary" | "vbinary" | "convert" | "vaccum" }>;

export function vxmLatency(sim: Simulator, inst: VxmInst): number {
  const l = sim.machine.vxm.latency;
  switch (inst.op) {
    case "vunary":
      return l[unaryLatencyClass(inst.fn)];
    case "convert":
      return l.convert;
    default:
      return l.simple;
  }
}

function values(sim: Simulator, planes: Uint8Array[] | null, t: ElemType): Float64Array | null {
  return planes ? decode(t, planes, sim.lanes) : null;
}

export function vxmTake(sim: Simulator, act: Activity, inst: VxmInst, i: number, cycle: number): void {
  const lanes = sim.lanes;
  const out = cycle + vxmLatency(sim, inst);
  switch (inst.op) {
    case "vunary": {
      const x = values(sim, sim.take(act, inst.src, ELEM_BYTES[inst.type], cycle), inst.type);
      schedulePut(act, out, x ? encode(inst.type, applyUnary(inst.fn, inst.type, x), lanes) : null);
      return;
    }
    case "vbinary": {
      const a = values(sim, sim.take(act, inst.a, ELEM_BYTES[inst.type], cycle), inst.type);
      const b =
        typeof inst.b === "number"
          ? roundResult(inst.type, inst.b)
          : values(sim, sim.take(act, inst.b, ELEM_BYTES[inst.type], cycle), inst.type);
      schedulePut(
        act,
        out,
        a && b !== null ? encode(inst.type, applyBinary(inst.fn, inst.type, a, b), lanes) : null,
      );
      return;
    }
    case "convert": {
      const x = values(sim, sim.take(act, inst.src, ELEM_BYTES[inst.from], cycle), inst.from);
      if (!x) {
        schedulePut(act, out, null);
        return;
      }
      const y = new Float64Array(lanes);
      for (let l = 0; l < lanes; l++) y[l] = roundConvert(inst.to, x[l]!);
      schedulePut(act, out, encode(inst.to, y, lanes));
      return;
    }
    case "vaccum": {
      const acc = accumulatorType(inst.type);
      const x = values(sim, sim.take(act, inst.src, ELEM_BYTES[inst.type], cycle), inst.type);
      if (x) {
        const sum = (act.work as Float64Array | undefined) ?? new Float64Array(lanes);
        for (let l = 0; l < lanes; l++) sum[l] = roundResult(acc, sum[l]! + x[l]!);
        act.work = sum;
      }
      if (i === inst.n - 1)
        schedulePut(act, out, act.work ? encode(acc, act.work as Float64Array, lanes) : null);
      return;
    }
  }
}
