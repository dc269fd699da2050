// The packing's column split of a model output no op reads spans up to OUTPUT_NODES nodes, as the spread's does
// (pack.ts packOnce's columnSplit): the output stays in parts where it is computed, nothing is sent back. Before, the
// packing stopped at two nodes, so a product that fits only over more (small nodes, small SRAM: the gated MLP of
// lent-tiles.test.ts with 3200 x 4480 products at mem_words 480) had no chip count at all: compile said LPU5003 ("needs
// more than one node's SRAM") under every strategy, and the tests' compileSpread then threw a TypeError in partition
// (`kernel` undefined) instead of naming it.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { OUTPUT_NODES } from "../../../compiler/passes/pack.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";
import { compileSpread } from "../../support/spread.ts";

/** 480 words per MEM slice (13.5 MB a chip, 4.2 MB of it usable by the packing), nodes of 2 chips. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "480", chips_per_node: "2" });

/** A 20.5 MB fp16 weight of 50 column tiles, about 10 to a chip: 5 chips, 3 nodes of 2, more than two nodes. */
const WIDE = `model wide
input x: fp16[1, 640]
param w: fp16[640, 16000]
output y = matmul(x, w)
`;

describe("a model output's column split spans up to OUTPUT_NODES nodes in the packing", () => {
  it("a product that fits only over 3 nodes of 2 chips packs on the fewest chips (LPU5001 one chip fewer), exact with the interpreter's values", () => {
    const graph = loadModel(WIDE, "wide.model", {}).graph!;
    const kernel = decompose(graph, "wide.model").kernel;
    const short = partition(kernel, SMALL, 4, "wide.model", "pack");
    expect(short.diagnostics.map((d) => d.code)).toEqual(["LPU5001"]);
    const chips = short.partitioned.minChips;
    // More than two nodes' chips (the cap of a split whose output is read), within OUTPUT_NODES nodes'.
    expect(chips).toBeGreaterThan(2 * 2);
    expect(chips).toBeLessThanOrEqual(OUTPUT_NODES * 2);
    expect(short.diagnostics[0]!.message).toContain(`needs at least ${chips} chips`);
    const r = compile(graph, SMALL, {
      chips,
      file: "wide.model",
      partition: "pack",
      sources: initialSources(graph, 0),
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.report!.chips).toBe(chips);
    expectExact(graph, r, SMALL);
  });

  it("a MEM slice shorter than a weight block is a clear LPU5003, and compileSpread names it rather than throwing a TypeError", () => {
    const m = resolveMachine("tsp-v1", { mem_words: "128", chips_per_node: "2" });
    expect(() => compileSpread(WIDE, "wide.model", m, 16)).toThrow(
      "a MEM slice of 128 words cannot hold a 320-row weight block",
    );
  });
});
