// Relayed copies (allocate-facts.ts `relayAt`, allocate-round.ts): a chip on the way of a transfer that only
// receives a tensor and sends it on, over links of one SXM, keeps it on the slices nearest that SXM; the program
// stays exact with the interpreter's values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { ELEM_BYTES } from "../../../arch/isa.ts";
import { slicePosition } from "../../../arch/machine.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocationFacts } from "../../../compiler/passes/allocate-facts.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";

// 3-chip nodes and 640 words a slice: a small llama's lm head spreads over two nodes, so the final rmsnorm's
// output crosses a chip that does not read it on its way (the chip at the reader's position: stages.ts `route`): the
// shape of llama3-8b's broadcast.
// (ctx 320: with ctx 640, since q's rope runs per head (lower-rope.ts ropeHeads), the model takes 4 chips and
// nothing is relayed; before, ctx 640 relayed it on chip 2.)
const M = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "3" });
const LLAMA = "programs/llama2-7b.model";
const SETS = { d: "640", heads: "8", kv_heads: "8", ff: "1280", vocab: "6400", ctx: "320", layers: "1" };

describe("relayed copies", () => {
  it("a copy a chip only receives and sends on over one SXM's links sits on the MEM slices nearest that SXM; the run is exact with the interpreter's values", () => {
    const graph = loadModel(readFileSync(LLAMA, "utf8"), LLAMA, SETS).graph!;
    const sources = initialSources(graph, 0);
    const r = compile(graph, M, { chips: 16, file: LLAMA, sources });
    const tasks = r.tasks!;
    const facts = allocationFacts(tasks, M);
    const slices = M.sliceOrder.filter((k) => k === "mem").length;
    const relays = facts.tensors.flatMap((t, ti) =>
      facts.relayAt[ti]! >= 0 ? [{ t, at: facts.relayAt[ti]! }] : [],
    );
    expect(relays.map((x) => x.t.id.replace(/@p\d+$/, ""))).toContain("rmsnorm_0");
    for (const { t, at } of relays) {
      // Two slice groups of the type's byte planes: the 2 x planes slices nearest the SXM.
      const near = [...Array(slices).keys()]
        .sort(
          (a, b) => Math.abs(slicePosition(M, "mem", a)! - at) - Math.abs(slicePosition(M, "mem", b)! - at),
        )
        .slice(0, 2 * ELEM_BYTES[t.type]);
      const used = tasks.placements!.find((p) => p.tensor === t.id)!.blocks.flatMap((b) => b.slices);
      expect(
        used.filter((s) => !near.includes(s)),
        t.id,
      ).toEqual([]);
    }
    expectExact(graph, r, M);
  });
});
