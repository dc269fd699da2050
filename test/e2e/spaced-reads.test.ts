// End to end: the phases of an `abc`'s spaced reads (placement-parity.ts `spacedParity`). A 16-bit input tile's two byte
// planes sit on neighbouring slices and an fp16 product takes a word every 4 cycles from each; planes west and
// east of the tile read the two slices with skews of opposite sign. A reader going one way starts on the first
// slice at even phases, one going the other way at odd ones, so two readers each way fill the 4 phases of both
// slices. Small prefill-shaped product: 128 rows, 2 K tiles, 10 output tiles: 20 groups read the same input tiles.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { scheduledInsts } from "../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../support/exact.ts";

const PREFILL = `model spaced_reads
input x: fp16[128, 640]
param w: fp16[640, 3200]
output y = matmul(x, w)
`;

describe("the phases of an abc's spaced reads", () => {
  const graph = loadModel(PREFILL, "test.model").graph!;
  const r = compile(graph, TSP_V1, {
    chips: 1,
    file: "test.model",
    sources: initialSources(graph, 0),
    verifyEach: true,
  });
  const abcTasks = new Set(
    r.tasks!.tasks.filter((t) => t.steps.some((s) => s.kind === "abc")).map((t) => t.id),
  );
  // Per abc task, per MEM slice, the cycles of its reads.
  const reads = new Map<string, Map<number, number[]>>();
  for (const x of scheduledInsts(r.schedule!)) {
    if (x.queue.kind !== "mem" || x.inst.op !== "read" || !abcTasks.has(x.task)) continue;
    const bySlice = reads.get(x.task) ?? new Map<number, number[]>();
    bySlice.set(x.queue.index, [...(bySlice.get(x.queue.index) ?? []), x.cycle]);
    reads.set(x.task, bySlice);
  }

  it("no hazard, the predicted cycles, the interpreter's outputs", () => {
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expectExact(graph, r, TSP_V1);
  });
  it("a reader starts on the first slice at even phases when it reads the second slice a cycle later, odd ones when a cycle earlier", () => {
    let skews = 0;
    for (const bySlice of reads.values()) {
      const [lo, hi] = [...bySlice.keys()].sort((a, b) => a - b);
      const first = Math.min(...bySlice.get(lo!)!);
      const skew = Math.min(...bySlice.get(hi!)!) - first;
      expect(Math.abs(skew)).toBe(1);
      expect(first & 1).toBe(skew > 0 ? 0 : 1);
      skews += skew;
    }
    // Readers of both directions: the planes on both sides of the tiles read them.
    expect(Math.abs(skews)).toBeLessThan(reads.size);
  });
});
