// sortInsts (schedule-ir.ts): buckets per queue, then cycles, must give the order of the plain comparator sort
// (chip, queue kind, queue index, cycle; stable) that emit and the printers rely on.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { QueueRef } from "../../../arch/isa.ts";
import { type ScheduledInst, sortInsts } from "../../../compiler/schedule/schedule-ir.ts";

const KINDS = ["mem", "vxm", "mxm", "sxm", "c2c"] as const;
const ORDER = { mem: 0, vxm: 1, mxm: 2, sxm: 3, c2c: 4 } as const;

const inst = fc
  .record({
    chip: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom(...KINDS),
    index: fc.integer({ min: 0, max: 5 }),
    cycle: fc.integer({ min: 0, max: 40 }),
  })
  .map(
    ({ chip, kind, index, cycle }): ScheduledInst => ({
      chip,
      queue: { kind, index } as QueueRef,
      cycle,
      inst: { op: "iw" },
      busy: 1,
      resource: "array",
      task: "",
      op: "",
      note: "",
    }),
  );

describe("sortInsts", () => {
  it("orders by chip, queue kind, queue index and cycle, keeping ties in input order", () => {
    fc.assert(
      fc.property(fc.array(inst, { maxLength: 60 }), (xs) => {
        const tagged = xs.map((x, k) => ({ ...x, task: String(k), note: String(k) }));
        const expected = [...tagged].sort(
          (a, b) =>
            a.chip - b.chip ||
            ORDER[a.queue.kind] - ORDER[b.queue.kind] ||
            a.queue.index - b.queue.index ||
            a.cycle - b.cycle,
        );
        expect(sortInsts(tagged).map((x) => x.task)).toEqual(expected.map((x) => x.task));
      }),
    );
  });
});
