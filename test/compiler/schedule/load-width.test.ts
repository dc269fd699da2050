// Weight loads of `width` rows a cycle (docs/isa.md `lw ... width`): the loader's timing, the wide SRAM layout the
// allocator gives weight blocks only `lw` reads, and a compiled program that uses them running exactly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../../arch/derive.ts";
import type { Machine } from "../../../arch/machine.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { stepTiming } from "../../../compiler/schedule/timing.ts";
import { expectExact } from "../../support/exact.ts";

const MLP2 = "programs/mlp2.model";

function build(m: Machine) {
  const graph = loadModel(readFileSync(MLP2, "utf8"), MLP2, {}).graph!;
  const r = compile(graph, m, { chips: 1, file: MLP2, sources: initialSources(graph, 0) });
  return { graph, r };
}

describe("weight load width", () => {
  it("lw of n rows at width w keeps the loader busy ceil(n / w) cycles", () => {
    const t = stepTiming(TSP_V1, { kind: "lw", type: "fp16", src: 0, n: 320, row0: 0, width: 8 });
    expect([t.busy, t.n, t.resource]).toEqual([40, 40, "loader"]);
    const odd = stepTiming(TSP_V1, { kind: "lw", type: "fp16", src: 0, n: 10, row0: 0, width: 8 });
    expect(odd.busy).toBe(2);
  });
  it("a weight block only lw reads is spread over a chunk of slice groups (7: a third of the 21 groups a side keeps from activations) and loaded that many rows a cycle", () => {
    const { graph, r } = build(TSP_V1);
    const w1 = r.tasks!.placements!.find((p) => p.tensor === "w1^T")!;
    // tsp-v1 has 22 fp16 slice groups on each side of the VXM; mlp2's matmuls read one-row inputs, so its chip
    // keeps each side's last group for activations and splits the other 21 into chunks of 7.
    const chunkWidths = [7];
    expect(w1.blocks.length).toBeGreaterThan(0);
    for (const b of w1.blocks) {
      expect(chunkWidths).toContain(b.width);
      expect(new Set(b.slices).size).toBe(2 * b.width!); // fp16: two byte planes per group
    }
    const lws = r.program!.chips[0]!.queues.flatMap((q) => q.instructions.filter((i) => i.inst.op === "lw"));
    expect(lws.length).toBeGreaterThan(0);
    for (const i of lws) expect(chunkWidths).toContain(i.inst.op === "lw" && i.inst.width);
    expectExact(graph, r, TSP_V1);
  });
  it("a one-row matmul input sits in an activation group (a side's last two slices), which no wide block takes", () => {
    const { r } = build(TSP_V1);
    const placements = r.tasks!.placements!;
    const kept = new Set([42, 43, 86, 87]); // the last two MEM slices west and east of the VXM on tsp-v1
    for (const p of placements)
      for (const b of p.blocks) if ((b.width ?? 1) > 1) expect(b.slices.some((s) => kept.has(s))).toBe(false);
    const x = placements.find((p) => p.tensor === "x")!;
    expect(x.blocks.every((b) => b.slices.every((s) => kept.has(s)))).toBe(true);
  });
  it("one-row loads (mxm_load_width=1) give no wide blocks and a slower mlp2", () => {
    const narrow = build(deriveMachine(TSP_V1, { mxm_load_width: "1" })).r;
    expect(narrow.tasks!.placements!.every((p) => p.blocks.every((b) => (b.width ?? 1) === 1))).toBe(true);
    expect(build(TSP_V1).r.report!.cycles).toBeLessThan(narrow.report!.cycles);
  });
});
