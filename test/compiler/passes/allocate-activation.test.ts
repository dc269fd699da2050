// Fresh space on a chip that keeps activation groups (allocate-space.ts `roundRobin`, "sparing"): a tensor that is no short
// matrix input takes the other groups first, so it never raises the activation slices' bump pointer while other
// groups have room and the MXM inputs after it still find room there.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { SliceTables } from "../../../compiler/passes/allocate-groups.ts";

/** A decode product (a short MXM input: the chip keeps activation groups), then fp32 and fp16 pointwise tensors of 24
 * and 48 tiles: more than their plane count's groups, so round-robin alone would reach the activation slices. */
const MODEL = `model keep
input x: fp16[1, 960]
param w: fp16[960, 1280]
input u: fp32[1, 7680]
input v: fp16[1, 15360]
output y = matmul(x, w)
output z = mul(u, u)
output s = mul(v, v)
`;

describe("allocate: activation groups spared for matrix inputs", () => {
  it("no block of a tensor that no abc reads lies on an activation slice; the MXM input does", () => {
    const graph = loadModel(MODEL, "keep.model").graph!;
    const r = compile(graph, TSP_V1, { chips: 1, file: "keep.model" });
    const fp16 = new SliceTables(TSP_V1).of(2);
    const activation = new Set(fp16.activation.flatMap((gi) => fp16.groups[gi]!));
    expect(activation.size).toBe(4);
    const abcRead = new Set(
      r.tasks!.tasks.flatMap((t) =>
        t.steps.flatMap((s, i) => {
          const next = t.steps.find((n) => n.kind === "abc" && "src" in n && n.src === i);
          return s.kind === "read" && next ? [s.ref.tensor] : [];
        }),
      ),
    );
    const placements = r.tasks!.placements!;
    const on = (tensor: string) =>
      placements.filter((p) => p.tensor === tensor).flatMap((p) => p.blocks.flatMap((b) => [...b.slices]));
    for (const p of placements) {
      const hits = on(p.tensor).filter((sl) => activation.has(sl));
      if (abcRead.has(p.tensor)) expect(hits.length).toBeGreaterThan(0);
      else expect(hits, p.tensor).toEqual([]);
    }
    // The case is only a test if the pointwise tensors wrapped round every group of their plane count.
    expect(new Set(on("mul_0")).size + new Set(on("u")).size).toBeGreaterThan(80);
  });
});
