// The simulator checks the program's wires itself (prepare.ts), not trusting the assembler: a link named by two
// wires is a bad-instruction fault on that chip, once per doubled end, and a program wired once has none.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";

function pipelined() {
  const file = "programs/mlp2.model";
  const graph = loadModel(readFileSync(file, "utf8"), file).graph!;
  return compile(graph, TSP_V1, { chips: 2, file, partition: "pipeline" }).program!;
}

const twice = (s: Simulator) =>
  s.hazards.filter((h) => h.args.some((a) => String(a).includes("wired twice")));

describe("the simulator's wire check", () => {
  it("a link wired twice is a fault on its chip; the program as compiled has none", () => {
    const p = pipelined();
    expect(p.wires.length).toBeGreaterThan(0);
    expect(twice(new Simulator(p, TSP_V1, { functional: false }))).toEqual([]);
    const w = p.wires[0]!;
    // Chip a's link again, to another link of chip b: only a's end is doubled.
    const doubled = { ...p, wires: [...p.wires, { ...w, peerLink: (w.peerLink + 1) % TSP_V1.c2c.links }] };
    const faults = twice(new Simulator(doubled, TSP_V1, { functional: false }));
    expect(faults.map((h) => [h.name, h.chip])).toEqual([["bad-instruction", w.a]]);
  });
});
