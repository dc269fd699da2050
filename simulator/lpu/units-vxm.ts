// VXM ALU instructions (docs/isa.md, VXM): unary, binary, convert and accum. Operands are taken at t + i; the
// result is put L cycles later (L by op class, code.latency). accum puts one sum, in the accumulator type, after the
// last take. Values are decoded into the simulator's scratch arrays and encoded into a pooled vector.
import type { QueueState } from "./chip.ts";
import {
  BINARY_FNS,
  OP_CONVERT,
  OP_VACCUM,
  OP_VBINARY,
  OP_VUNARY,
  TYPE_BYTES,
  TYPES,
  UNARY_FNS,
} from "./code.ts";
import type { Simulator } from "./simulator.ts";
import { accTypeCode, schedulePut } from "./units.ts";
import { decodeInto, encodeInto, roundConvert, roundResult } from "./values.ts";
import { applyBinaryInto, applyUnaryInto } from "./vxm-ops.ts";

export function vxmTake(
  sim: Simulator,
  q: QueueState,
  id: number,
  op: number,
  i: number,
  cycle: number,
): void {
  const code = sim.code;
  const lanes = sim.lanes;
  const out = cycle + code.latency[id]!;
  const t = code.t0[id]!;
  const type = TYPES[t]!;
  const f = sim.functional;
  switch (op) {
    case OP_VUNARY: {
      sim.take(q, id, code.s1[id]!, TYPE_BYTES[t]!, cycle);
      if (!f) {
        schedulePut(q.chip, id, out, null);
        return;
      }
      const x = decodeInto(type, sim.taken, lanes, sim.f64a);
      applyUnaryInto(UNARY_FNS[code.fn[id]!]!, type, x, x, lanes);
      const v = sim.allocVec();
      encodeInto(type, x, lanes, v.planes);
      schedulePut(q.chip, id, out, v);
      return;
    }
    case OP_VBINARY: {
      const bytes = TYPE_BYTES[t]!;
      sim.take(q, id, code.s1[id]!, bytes, cycle);
      const a = f ? decodeInto(type, sim.taken, lanes, sim.f64a) : null;
      const sb = code.s2[id]!;
      let b: Float64Array | number;
      if (sb < 0) b = roundResult(type, code.b[id]!);
      else {
        sim.take(q, id, sb, bytes, cycle);
        b = f ? decodeInto(type, sim.taken, lanes, sim.f64b) : 0;
      }
      if (!a) {
        schedulePut(q.chip, id, out, null);
        return;
      }
      applyBinaryInto(BINARY_FNS[code.fn[id]!]!, type, a, b, a, lanes);
      const v = sim.allocVec();
      encodeInto(type, a, lanes, v.planes);
      schedulePut(q.chip, id, out, v);
      return;
    }
    case OP_CONVERT: {
      sim.take(q, id, code.s1[id]!, TYPE_BYTES[t]!, cycle);
      if (!f) {
        schedulePut(q.chip, id, out, null);
        return;
      }
      const to = TYPES[code.t1[id]!]!;
      const x = decodeInto(type, sim.taken, lanes, sim.f64a);
      for (let l = 0; l < lanes; l++) x[l] = roundConvert(to, x[l]!);
      const v = sim.allocVec();
      encodeInto(to, x, lanes, v.planes);
      schedulePut(q.chip, id, out, v);
      return;
    }
    case OP_VACCUM: {
      const acc = TYPES[accTypeCode(t)]!;
      sim.take(q, id, code.s1[id]!, TYPE_BYTES[t]!, cycle);
      let sum = sim.work.get(id) as Float64Array | undefined;
      if (f) {
        const x = decodeInto(type, sim.taken, lanes, sim.f64a);
        if (!sum) {
          sum = new Float64Array(lanes);
          sim.work.set(id, sum);
        }
        for (let l = 0; l < lanes; l++) sum[l] = roundResult(acc, sum[l]! + x[l]!);
      }
      if (i === code.n[id]! - 1) {
        let v = null;
        if (sum) {
          v = sim.allocVec();
          encodeInto(acc, sum, lanes, v.planes);
          sim.work.delete(id);
        }
        schedulePut(q.chip, id, out, v);
      }
      return;
    }
  }
}
