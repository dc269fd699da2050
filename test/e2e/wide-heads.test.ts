// End to end: attention whose heads are 1024 lanes wide, in an 8192-lane row. A head's p . V over the cache
// computes its own 4 output tiles and writes the other 22 as zeros (tile-matmul.ts `zeroTile`), each zero a task
// that reads a finite tile with out's tile; allocate keeps the tiles one task accesses on distinct slices.
import { describe, expect, it } from "vitest";
import { ELEM_BYTES } from "../../arch/isa.ts";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { sliceGroups } from "../../compiler/passes/allocate-groups.ts";
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
  it("fewer zero tiles read one tile than out's type has slice groups (22 zero tiles of an 8192-wide fp32 row: was LPU5005 with the SRAM nearly empty); no hazard, the predicted cycles, the interpreter's outputs", () => {
    const graph = loadModel(WIDE, "test.model").graph!;
    const r = compile(graph, TSP_V1, {
      chips: 1,
      file: "test.model",
      sources: initialSources(graph, 0),
      verifyEach: true,
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // Per tile read by a zero task, the zero tasks that read it (one task per tile and row chunk: one row here).
    const readers = new Map<string, number>();
    let zeros = 0;
    for (const t of r.tasks!.tasks) {
      if (!t.id.endsWith(".zero")) continue;
      zeros++;
      const read = t.steps[0]!;
      if (read.kind !== "read") throw new Error(`${t.id}: a zero task starts with a read`);
      const key = `${read.ref.tensor}/${read.ref.tile}`;
      readers.set(key, (readers.get(key) ?? 0) + 1);
    }
    // Every head: 26 output tiles, 4 of its own (1024 lanes from a multiple of 1024 meet 4 tiles), 22 zeros.
    expect(zeros).toBe(8 * 22);
    const fp32Groups = sliceGroups(TSP_V1, ELEM_BYTES.fp32).length;
    expect(fp32Groups).toBe(22);
    expect(Math.max(...readers.values())).toBe(fp32Groups - 1);
    expectExact(graph, r, TSP_V1);
  });
});
