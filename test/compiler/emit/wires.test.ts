// The emitter's wires: one per pair of linked chips, whichever way the words flow.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExactRun } from "../../support/exact.ts";

const DEEP = "bench/models/deep-mlp.model";

describe("wires", () => {
  it("traffic both ways between two chips is one wire (a K split's computed input out, its partial sums back): no link wired twice, cycle-exact, the interpreter's values", () => {
    // Layer 2's input is computed on chip 0, so its K split sends it to chip 1 and gets partial sums back.
    const graph = loadModel(readFileSync(DEEP, "utf8"), DEEP, { d: "960", layers: "2" }).graph!;
    const r = compile(graph, TSP_V1, {
      chips: 2,
      file: DEEP,
      partition: "k-split",
      sources: initialSources(graph, 0),
    });
    const p = r.program!;
    const sends = (chip: number) =>
      p.chips[chip]!.queues.flatMap((q) => q.instructions).filter((i) => i.inst.op === "send").length;
    expect(sends(0)).toBeGreaterThan(0);
    expect(sends(1)).toBeGreaterThan(0);
    expect(p.wires).toEqual([{ a: 0, link: 0, b: 1, peerLink: 0 }]);
    const run = runModel(graph, p, r.report!, TSP_V1, { functional: true, seed: 0 });
    expectExactRun(run);
  });
});
