import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile, PASSES } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate, sliceGroups } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { GraphBuilder, mlp2 } from "../helpers/graphs.ts";

function load(path: string) {
  const r = loadModel(readFileSync(path, "utf8"), path);
  if (!r.graph) throw new Error(`cannot load ${path}`);
  return r.graph;
}

describe("decompose", () => {
  it("folds the bias add and relu into the matmul that feeds them", () => {
    const { kernel, diagnostics } = decompose(mlp2(), "mlp2");
    expect(diagnostics).toEqual([]);
    const mm = kernel.ops.filter((o) => o.kind === "matmul");
    expect(mm).toHaveLength(2);
    expect(kernel.ops).toHaveLength(2);
    expect(mm[0]!.kind === "matmul" && mm[0]!.epilogue?.map((e) => e.kind)).toEqual(["row", "unary"]);
  });
  it("keeps a matmul weight [K, N] transposed as [N, K] and drops the unused original", () => {
    const { kernel } = decompose(mlp2({ d: 64, h: 128 }), "mlp2");
    const w1t = kernel.tensors.find((t) => t.id === "w1^T")!;
    expect([w1t.rows, w1t.cols]).toEqual([128, 64]);
    expect(w1t.source).toEqual({ node: "w1", transposed: true });
    expect(kernel.tensors.some((t) => t.id === "w1")).toBe(false);
  });
  it("a shape the back end cannot lower yet is an LPU5003 diagnostic, not a crash", () => {
    // fp32 lanes cannot cross the 16-bit MXM exactly, so a transpose that moves the last axis is refused.
    const b = new GraphBuilder("g");
    b.source("input", "x", "fp32", [2, 64]);
    b.node("s", { kind: "transpose", perm: [1, 0] }, ["x"], { dtype: "fp32", shape: [64, 2] });
    b.node("y", { kind: "output" }, ["s"]);
    const { diagnostics } = decompose(b.build(), "g.model");
    expect(diagnostics.map((d) => d.code)).toEqual(["LPU5003"]);
    expect(diagnostics[0]!.message).toContain("transpose");
  });
});

describe("partition", () => {
  it("a model larger than the chips' SRAM says how many chips it needs", () => {
    // 2 x 16384 x 16384 fp16 weights = 1 GiB: more than 4 chips of 220 MiB. Each 512 MiB matmul is K-split over
    // a stage of 3 chips (a stage fills at most 85% of a chip), so the partitioner needs 6.
    const b = new GraphBuilder("big");
    b.source("input", "x", "fp16", [1, 16384]);
    b.source("param", "w", "fp16", [16384, 16384]);
    b.source("param", "v", "fp16", [16384, 16384]);
    b.node("h", { kind: "matmul", transposeB: false }, ["x", "w"], { dtype: "fp16", shape: [1, 16384] });
    b.node("z", { kind: "matmul", transposeB: false }, ["h", "v"], { dtype: "fp16", shape: [1, 16384] });
    b.node("y", { kind: "output" }, ["z"]);
    const { kernel } = decompose(b.build(), "big.model");
    const { diagnostics } = partition(kernel, TSP_V1, 2, "big.model");
    expect(diagnostics[0]!.code).toBe("LPU5001");
    expect(diagnostics[0]!.message).toMatch(/big at fp16 needs at least 6 chips .* 2 were given/);
  });
});

describe("allocate", () => {
  it("puts the byte planes of a tensor in consecutive slices on one side of the VXM", () => {
    const { kernel } = decompose(mlp2(), "mlp2");
    const p = partition(kernel, TSP_V1, 1, "mlp2").partitioned;
    const { graph } = allocate(tile(p, TSP_V1), TSP_V1, "mlp2");
    for (const pl of graph.placements!)
      for (const t of pl.blocks) {
        // A wide weight block (rows over `width` slice groups) holds each group's byte planes the same way.
        const planes = t.slices.length / (t.width ?? 1);
        for (let g = 0; g < (t.width ?? 1); g++) {
          const s = t.slices.slice(g * planes, (g + 1) * planes);
          expect(s[planes - 1]! - s[0]!).toBe(planes - 1);
          expect(Math.floor(s[0]! / 44)).toBe(Math.floor(s[planes - 1]! / 44));
        }
      }
  });
  it("a temporary reuses space only after the last reader of the previous tenant", () => {
    // A chain of pointwise ops: each result dies one op later. Fresh space comes first, so allocate on slices of
    // one 4-row block each: after one tensor per slice group, space is reused with an `after` edge.
    const small = { ...TSP_V1, mem: { ...TSP_V1.mem, wordsPerSlice: 4 } };
    const chain = sliceGroups(small, 2).length + 6;
    const b = new GraphBuilder("chain");
    b.source("input", "x", "fp16", [4, 320]);
    let prev = "x";
    for (let i = 0; i < chain; i++)
      prev = b.node(`r${i}`, { kind: i % 2 ? "relu" : "scale", factor: 0.5 } as never, [prev], {
        dtype: "fp16",
        shape: [4, 320],
      });
    b.node("y", { kind: "output" }, [prev]);
    const { kernel } = decompose(b.build(), "chain");
    const { graph } = allocate(
      tile(partition(kernel, TSP_V1, 1, "chain").partitioned, TSP_V1),
      small,
      "chain",
    );
    const reused = graph.placements!.filter((p) => (p.blocks[0]!.reuses ?? []).length > 0);
    expect(reused.length).toBeGreaterThan(0);
    const index = new Map(graph.tasks.map((t, i) => [t.id, i]));
    for (const p of reused) {
      const writer = graph.tasks.find((t) =>
        t.steps.some((s) => s.kind === "write" && s.ref.tensor === p.tensor),
      )!;
      const tenants = p.blocks[0]!.reuses!;
      tenants.forEach((r, k) => {
        const old = r.split("/")[0]!;
        const readers = graph.tasks.filter((t) =>
          t.steps.some((s) => s.kind === "read" && s.ref.tensor === old),
        );
        // Every earlier tenant's readers come first; the latest tenant's readers are direct predecessors.
        for (const rd of readers) {
          expect(index.get(rd.id)!).toBeLessThan(index.get(writer.id)!);
          if (k === tenants.length - 1) expect(writer.after).toContain(rd.id);
        }
      });
    }
  });
});

describe("the pass pipeline on programs/mlp2.model", () => {
  const g = load("programs/mlp2.model");
  for (const pass of PASSES)
    it(`prints the IR after ${pass} (golden)`, async () => {
      const r = compile(g, TSP_V1, { chips: 1, file: "mlp2.model", printAfter: [pass], verifyEach: true });
      expect(r.diagnostics).toEqual([]);
      await expect(r.printed[0]!.text).toMatchFileSnapshot(`./golden/mlp2.${pass}.txt`);
    });
  it("compiling twice gives identical programs and reports", () => {
    const a = compile(g, TSP_V1, { chips: 1, file: "mlp2.model" });
    const b = compile(g, TSP_V1, { chips: 1, file: "mlp2.model" });
    expect(JSON.stringify(a.program)).toBe(JSON.stringify(b.program));
    expect(a.report).toEqual(b.report);
  });
});
