// A gated MLP kept where it is made (compiler/passes/in-place.ts): a heavy pair of products of one input (gate and
// up) column split over the same chips by the same ranges, the elementwise ops after them split by those ranges,
// and the product after them K-split by those ranges reading each chip's part there; nothing of it crosses a link
// but the input and the last product's partial sums, and the simulator computes the interpreter's values.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { partedTensors } from "../../../compiler/passes/in-place.ts";
import type { KOp, KTensor } from "../../../compiler/passes/kernel-ir.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../../support/exact.ts";
import { compileSpread } from "../../support/spread.ts";

describe("a gated MLP kept in place", () => {
  it("gate and up share chips and ranges, silu and the product follow them, down's K split reads their parts in place: only down's partial sums move, exact with the interpreter's values", () => {
    // Nodes of one chip, so that the group spans gateways; 8-bit weights of 5 x 5 tiles are heavy there.
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "1" });
    const text = `model gated
input x: fp16[1, 1600]
param g: fp8[1600, 1600]
param u: fp8[1600, 1600]
param w: fp8[1600, 1600]
output y = matmul(mul(silu(matmul(x, g)), matmul(x, u)), w)
`;
    const { graph, r, p } = compileSpread(text, "gated.model", m, 8);
    const ops = r.kernel!.ops;
    const [gate, up, down] = [
      ops.find((o) => o.id === "matmul_0")!,
      ops.find((o) => o.id === "matmul_1")!,
      ops.at(-1)!,
    ];
    const n = p.nSplits?.get(gate.id);
    expect(n?.length, "gate split by columns over several chips").toBeGreaterThan(2);
    const base = p.stageOf.get(gate.id)!.base;
    const pointwise = ops.filter((o) => o.kind !== "matmul");
    for (const o of [up, ...pointwise]) {
      expect(p.nSplits?.get(o.id), o.id).toEqual(n);
      expect(p.stageOf.get(o.id)!.base, o.id).toBe(base);
    }
    expect(p.kSplits?.get(down.id)).toEqual(n);
    expect(p.stageOf.get(down.id)!.base).toBe(base);
    // stages.ts names a transfer's tasks `move.TENSOR`: only down's partial sums move (x, an input, is loaded on
    // every chip that reads it).
    const kept = new Set([gate, up, ...pointwise].map((o) => o.out));
    const moved = new Set(
      scheduledInsts(r.schedule!)
        .filter((i) => i.op.startsWith("move."))
        .map((i) => i.op.slice(5)),
    );
    expect([...moved].filter((t) => kept.has(t.replace(/\.c\d+$/, "")))).toEqual([]);
    // Down's partial sums: each node's goes to the first chip on its own, relayed by the chips between, which add
    // no other node's sum on the way (stages.ts `sumHeads`).
    expect([...moved].every((t) => t.startsWith(`${down.out}.`))).toBe(true);
    expect(n!.length, "down over three nodes or more").toBeGreaterThan(3);
    const sendChips = (t: string) =>
      new Set(
        scheduledInsts(r.schedule!)
          .filter((i) => i.op === `move.${t}` && i.task.endsWith(".send"))
          .map((i) => i.chip),
      );
    expect([...moved].filter((t) => sendChips(t).size > 1).length, "sums relayed").toBeGreaterThan(0);
    expect(r.tasks!.tasks.filter((t) => /\.node\d+$/.test(t.id))).toEqual([]);
    expectExact(graph, r, m);
  }, 60_000);

  it("a split tensor is kept in parts only when every reader is split by the same ranges on the same chips", () => {
    const t = (id: string, cols: number): KTensor => ({
      id,
      dtype: "fp16",
      rows: 1,
      cols,
      role: "temp",
      shape: [1, cols],
    });
    const tensors = new Map(
      [t("x", 640), { ...t("g", 960), role: "param" as const }, t("h", 960), t("s", 960)].map((x) => [
        x.id,
        x,
      ]),
    );
    const ops: KOp[] = [
      { kind: "matmul", id: "mm", a: "x", b: "g", out: "h" },
      { kind: "unary", id: "neg", fn: "neg", x: "h", out: "s" },
    ];
    const split = { base: 2, width: 3, nBounds: [0, 1, 2, 3] };
    const kept = (second: typeof split | { base: number; width: number }) => [
      ...partedTensors(ops, tensors, (i) => (i === 0 ? split : second), new Set(["s"])).keys(),
    ];
    expect(kept(split)).toEqual(["h"]);
    expect(kept({ ...split, nBounds: [0, 2, 2, 3] })).toEqual([]);
    expect(kept({ ...split, base: 3 })).toEqual([]);
    expect(kept({ base: 2, width: 1 })).toEqual([]);
  });
});
