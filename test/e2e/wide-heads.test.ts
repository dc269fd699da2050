// End to end: attention whose heads are 1024 lanes wide, in an 8192-lane row. A head's p . V over the cache
// computes its own 4 output tiles; the other 22 are zero, and since the heads' sum leaves them out (zero-tiles.ts)
// none is made (they were zero tasks, each reading a finite tile with out's tile: tile-matmul.ts `zeroTile`).
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { decompose } from "../../compiler/passes/decompose.ts";
import { unreadZeroTiles, zeroTiles } from "../../compiler/passes/zero-tiles.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExact } from "../support/exact.ts";

/** Attention alone over q, k, v inputs: 8 heads of 1024 lanes (llama2-7b at d = 8192 with 8 heads has these). */
const WIDE = `model wide_heads
const batch = 1
const seq = 1
const ctx = 8
const heads = 8
const head_dim = 1024
const d = heads * head_dim
input q: fp16[batch, seq, d]
input k: fp16[batch, seq, d]
input v: fp16[batch, seq, d]
state k_cache: fp16[batch, ctx, heads, head_dim]
state v_cache: fp16[batch, ctx, heads, head_dim]
a = attention(reshape(q, shape=[batch, seq, heads, head_dim]), reshape(k, shape=[batch, seq, heads, head_dim]), reshape(v, shape=[batch, seq, heads, head_dim]), k_cache, v_cache, causal=true)
output y = reshape(a, shape=[batch, seq, d])
`;

describe("zero tiles of a windowed product", () => {
  it("a wide head's 22 zero tiles are left out of the heads' sum, so none is made (they were 8 x 22 tasks, and LPU5005 with the SRAM nearly empty before zero tiles read one tile each); no hazard, the predicted cycles, the interpreter's outputs", () => {
    const graph = loadModel(WIDE, "test.model").graph!;
    const r = compile(graph, TSP_V1, {
      chips: 1,
      file: "test.model",
      sources: initialSources(graph, 0),
      verifyEach: true,
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // Each head's p . V is masked to its 1024 lanes (4 of 26 tiles); the heads' fused adds leave the other 22 out
    // (zero-tiles.ts), so no task writes or reads them: no zero task at all.
    const kernel = decompose(graph, "test.model").kernel;
    const unread = unreadZeroTiles(kernel, zeroTiles(kernel));
    const masked = [...unread.values()].filter((s) => s.size === 22);
    expect(masked.length, "the heads' p . V products, 22 unread zero tiles each").toBe(8);
    expect(r.tasks!.tasks.filter((t) => t.id.endsWith(".zero"))).toEqual([]);
    // The chained zero tiles (a's tile 0 read by fewer zero tiles than fp32 has slice groups, each later one the
    // zero tile that many before it) are no longer reached here; the 70b's lane moves still make zero tasks.
    expectExact(graph, r, TSP_V1);
  });
});
