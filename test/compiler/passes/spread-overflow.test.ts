// LPU5011: auto's spread (or layers) placement comes from an SRAM estimate; when the chips it chose overflow once
// allocated (LPU5005), the compile falls back to the packing on the fewest chips with a warning. The estimate now
// counts every tensor allocate places (a split's own source copies `x@cN` were the miss on llama2-7b at 4 and 8
// layers, now spread without the fallback), and no model is known today where the spread's placement overflows:
// the fallback's positive path has no fixture (the guard stays, for layout rules the estimate does not model).
// What is tested: the fallback never fires where auto chose the packing itself (it used to, retrying the same
// compile and warning "compiled with --partition pack instead" of a pack), nor for a forced strategy. The fixture
// overflows everywhere: an activation's SRAM block is 960 rows (tile.ts `blockRows`, placed in one run of a slice),
// which a machine of 640-word slices cannot hold.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";

const SMALL = resolveMachine("tsp-v1", { mem_words: "640" });
const FILE = "tall.model";
// 4 chained layers of a 1280-row activation: more than one chip by the estimate.
const TEXT = `model tall
const rows = 1280
const d = 640
const layers = 4
input x: fp16[rows, d]
param w_out: fp16[d, d]
block layer(h: fp16[rows, d]) -> fp16[rows, d] {
  param w: fp16[d, d]
  y = relu(matmul(h, w))
  return y
}
h = repeat layers layer(relu(x))
output out = matmul(h, w_out)
`;
const graph = loadModel(TEXT, FILE).graph!;

describe("LPU5011: auto falls back to pack only from its own spread placement", () => {
  it("auto that chose the packing itself (the estimate keeps 2 of 16 chips) reports its LPU5005 once, without a retry or LPU5011", () => {
    const r = compile(graph, SMALL, { chips: 16, file: FILE });
    const codes = r.diagnostics.map((d) => d.code);
    expect(codes).not.toContain("LPU5011");
    const full = r.diagnostics.filter((d) => d.code === "LPU5005").map((d) => d.message);
    expect(full[0]).toMatch(
      /^SRAM of chip \d+ cannot hold tensor 'x': its blocks of 960 words are taller than/,
    );
    // The same as the packing asked for: one compile, not two.
    const pack = compile(graph, SMALL, { chips: 16, file: FILE, partition: "pack" });
    expect(r.diagnostics).toEqual(pack.diagnostics);
    expect(r.program).toBeUndefined();
  });

  it("a forced --partition spread keeps the allocation error (nothing is chosen for the user)", () => {
    const r = compile(graph, SMALL, { chips: 16, file: FILE, partition: "spread" });
    const codes = r.diagnostics.map((d) => d.code);
    expect(codes).toContain("LPU5005");
    expect(codes).not.toContain("LPU5011");
    expect(r.program).toBeUndefined();
  });
});
