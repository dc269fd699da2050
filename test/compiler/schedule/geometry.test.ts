// A task's geometry moved to another MXM plane (geometry.ts `onPlane`, what the scheduler uses instead of solving
// every plane from the steps) equals the geometry solved for that plane, on compiled models' real tasks: plain and
// wide weight loads, 8-bit converts, accumulators.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { onPlane, taskGeometry } from "../../../compiler/schedule/geometry.ts";

const m = TSP_V1;

function allocatedTasks(file: string, sets: Record<string, string>, chips: number) {
  const graph = loadModel(readFileSync(file, "utf8"), file, sets).graph!;
  const r = compile(graph, m, { chips, file });
  expect(r.tasks).toBeDefined();
  return r.tasks!;
}

describe("geometry on another plane", () => {
  const cases: { name: string; file: string; sets: Record<string, string>; chips: number }[] = [
    { name: "tiny-gpt", file: "programs/tiny-gpt.model", sets: {}, chips: 1 },
    {
      name: "a small llama2-70b-fp8 layer (8-bit wide loads through converts)",
      file: "programs/llama2-70b-fp8.model",
      sets: { layers: "1", d: "512", ff: "1024", heads: "4", kv_heads: "2", ctx: "64", vocab: "1024" },
      chips: 1,
    },
  ];
  for (const c of cases)
    it(`moving the MXM instances to plane p and walking the cycles again gives taskGeometry's plane p (${c.name})`, () => {
      const g = allocatedTasks(c.file, c.sets, c.chips);
      const placements = new Map((g.placements ?? []).map((p) => [p.tensor, p]));
      let checked = 0;
      let moved = 0;
      for (const task of g.tasks) {
        if (!task.mxmGroup) continue;
        const solved = Array.from({ length: m.mxm.planes }, (_, p) => taskGeometry(m, task, placements, p));
        for (let from = 0; from < m.mxm.planes; from++)
          for (let to = 0; to < m.mxm.planes; to++) {
            const got = onPlane(m, task, solved[from]!, to);
            expect(got).toStrictEqual(solved[to]);
            checked++;
            if (got.instances.some((x, i) => x.rel !== solved[from]!.instances[i]!.rel)) moved++;
          }
      }
      expect(checked).toBeGreaterThan(100);
      // The planes sit at different distances: moving changes relative cycles for some tasks.
      expect(moved).toBeGreaterThan(0);
    });
});

describe("a wide 8-bit weight read's streams", () => {
  it("the read -> convert stream group carries ceil(rows / width) vectors (each convert's run), not the tile's rows", () => {
    const g = allocatedTasks(
      "programs/llama2-70b-fp8.model",
      { layers: "1", d: "512", ff: "1024", heads: "4", kv_heads: "2", ctx: "64", vocab: "1024" },
      1,
    );
    const placements = new Map((g.placements ?? []).map((p) => [p.tensor, p]));
    let checked = 0;
    for (const task of g.tasks) {
      const ci = task.steps.findIndex((s) => s.kind === "convert");
      if (!task.mxmGroup || ci < 0 || task.steps[ci + 1]?.kind !== "lw") continue;
      const geo = taskGeometry(m, task, placements, 0);
      const converts = geo.instances.filter((x) => x.step === ci);
      if (converts.length < 2) continue; // not a wide read
      const longest = Math.max(...converts.map((x) => x.timing.n));
      const rows = (task.steps[0] as { ref: { n: number } }).ref.n;
      expect(longest).toBe(Math.ceil(rows / converts.length));
      // The group feeding the converts, and the one feeding the lw: both as long as one convert's run.
      const into = geo.groups.filter((grp) => grp.flows.some((f) => geo.instances[f.to]!.step === ci));
      const out = geo.groups.filter((grp) => grp.flows.some((f) => geo.instances[f.from]!.step === ci));
      expect(into.map((grp) => grp.n)).toEqual([longest]);
      expect(out.map((grp) => grp.n)).toEqual([longest]);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });
});
