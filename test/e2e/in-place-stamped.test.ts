// The MLP kept in place (compiler/passes/in-place.ts) in a stamped program: a tiny llama2-70b-fp8 (three layers of
// d 320, ff 640, fp8 weights, one head) under `--partition layers`, whose unit 0 keeps gate, up, silu and the product in
// parts on its chips, and whose other units are stamped copies of unit 0. The simulator runs every copy with no
// hazard, in the predicted cycles, with the interpreter's values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../arch/derive.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { scheduledInsts } from "../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../support/exact.ts";

const FILE = "programs/llama2-70b-fp8.model";
const SETS = {
  layers: "3",
  d: "320",
  ff: "640",
  heads: "1",
  kv_heads: "1",
  ctx: "8",
  vocab: "64",
};
// spread-heavy.ts counts a product heavy (and gives it a heavy sibling) when its weights' load time on one node is
// at least 1.5 times its input's and output's link time. On tsp-v1 a pair that small is not; links of 32 lanes
// (8 times tsp-v1's) make a 320 x 640 fp8 pair heavy, and nodes of two chips give a layer two chips to keep it on.
// (A 640 x 960 pair is heavy with 16 lanes: the same placements, about twice the test's time.)
const MACHINE = resolveMachine("tsp-v1", { chips_per_node: "2", link_lanes: "32" });

describe("a stamped model's MLP kept in place", () => {
  it("unit 0 keeps gate, up, silu and the product in parts on its chips (none crosses a link), the other units are its stamped copies, and the program computes the interpreter's values in the predicted cycles", () => {
    const graph = loadModel(readFileSync(FILE, "utf8"), FILE, SETS).graph!;
    const r = compile(graph, MACHINE, {
      chips: 9,
      file: FILE,
      partition: "layers",
      sources: initialSources(graph, 0),
    });
    expect(r.diagnostics).toEqual([]);

    // Stamped: the passes saw instance 0 only, and chips of later units copy unit 0's chips.
    const instances = new Set(r.tasks!.tasks.flatMap((t) => /^layer\.(\d+)\./.exec(t.op)?.[1] ?? []));
    expect([...instances]).toEqual(["0"]);
    const tensors = r.tasks!.tensors;
    // Unit 0's chips: those holding layer 0's weights.
    const unit0 = new Set(
      tensors.filter((t) => t.id.startsWith("layer.0.") && t.role === "param").map((t) => t.chip),
    );
    expect(unit0.size).toBeGreaterThanOrEqual(2);
    const copies = r.program!.chips.filter((c) => c.copyOf !== undefined);
    expect(copies.length).toBeGreaterThanOrEqual(2 * unit0.size);
    for (const c of copies) expect(unit0.has(c.copyOf!.chip)).toBe(true);

    // Kept in place: gate and up (the products of the MLP's weights) and the elementwise ops between them and
    // down exist only as parts `X.cN`, on two or more chips, and never move.
    const ops = r.kernel!.ops;
    const reading = (w: string) =>
      ops.findIndex((o) => o.kind === "matmul" && o.b.startsWith(`layer.0.${w}`));
    const [gate, down] = [reading("gate_proj"), reading("down_proj")];
    expect(gate).toBeGreaterThanOrEqual(0);
    expect(down).toBeGreaterThan(gate);
    const held = ops.slice(gate, down).map((o) => o.out);
    expect(held.length).toBeGreaterThanOrEqual(4); // gate, silu's steps, up, mul
    const moved = new Set(
      scheduledInsts(r.schedule!)
        .filter((i) => i.op.startsWith("move."))
        .map((i) => i.op.slice(5).replace(/\.c\d+$/, "")),
    );
    for (const x of held) {
      expect(
        tensors.some((t) => t.id === x),
        `${x} whole`,
      ).toBe(false);
      const parts = tensors.filter((t) => /^\.c\d+$/.test(t.id.slice(x.length)) && t.id.startsWith(x));
      expect(new Set(parts.map((t) => t.chip)).size, `${x}'s chips`).toBeGreaterThanOrEqual(2);
      expect(moved.has(x), `${x} moved`).toBe(false);
    }

    expectExact(graph, r, MACHINE);
  }, 60_000);
});
