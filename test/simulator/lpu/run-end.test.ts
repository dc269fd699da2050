// When a run ends (docs/isa.md, "Queues and issue"): the program's cycle count is the later of the last event + 1 and
// the end of the last occupancy, so an abc whose cycles per vector C exceed L_mxm + 1 ends the run when the array is
// free, after its last result is in. Checked on the exact engine and the fast path, for int8 and fp16.
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../../arch/derive.ts";
import type { ElemType } from "../../../arch/isa.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { s } from "./build.ts";
import { ChipBuilder, M, pos } from "./kit.ts";

const T = 100;

/** lw + iw, then abc of two vectors C cycles apart and an acc of the second row as soon as it is in. */
function twoVectors(type: ElemType, key: string, C: number) {
  const m = deriveMachine(M, { [key]: String(C) });
  const mx = pos("mxm0", m);
  const slices = (a: number) => (type === "int8" ? [a] : [a, a + 1]);
  const b = new ChipBuilder(m);
  b.feed(type, () => 1, "s0w", mx, T, slices(60));
  b.add("mxm0", { op: "lw", type, src: s("s0w"), n: 1, row0: 0 }, T);
  b.add("mxm0", { op: "iw" }, T + 1);
  const t = T + 1 + m.mxm.installLatency;
  b.feed(type, () => 3, "s2w", mx, t, slices(62)).feed(type, () => 4, "s2w", mx, t + C, slices(64));
  b.add("mxm0", { op: "abc", type, src: s("s2w"), n: 2, row0: 0, accumulate: false }, t);
  const acc = type === "int8" ? "int32" : "fp32";
  const drain = t + C + m.mxm.latency;
  b.add("mxm0", { op: "acc", type: acc, dst: s("s4e"), n: 1, row0: 1 }, drain);
  return { program: b.program(), m, t, drain };
}

describe("the end of a run", () => {
  const cases: [ElemType, string][] = [
    ["int8", "mxm_int8_cycles"],
    ["fp16", "mxm_fp16_cycles"],
  ];
  for (const [type, key] of cases)
    it(`a ${type} abc holds the run until its array is free: cycles = max(last event + 1, t + n*C) for any C`, () => {
      for (const C of [1, 2, 7, 21, 22, 64, 3000, 40000]) {
        const { program, m, t, drain } = twoVectors(type, key, C);
        // The acc's put at `drain` is the last event; the array is occupied [t, t + 2C).
        const expected = Math.max(drain + 1, t + 2 * C);
        for (const exact of [true, false]) {
          const sim = new Simulator(program, m, { exact, functional: false });
          sim.run();
          expect(sim.hazards).toEqual([]);
          expect(sim.ranFast).toBe(!exact);
          expect({ C, exact, cycles: sim.result().cycles }).toEqual({ C, exact, cycles: expected });
        }
      }
    });
});
