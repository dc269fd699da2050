// graphStats: parameter and state totals, FLOPs (2 per multiply-accumulate) and bytes moved, checked against
// counts worked out by hand in the comments.
import { describe, expect, it } from "vitest";
import { graphStats } from "../../../compiler/graph/stats.ts";
import { formatBytes, formatCount, formatFlops } from "../../../compiler/graph/stats-text.ts";
import { graphOf } from "./helpers.ts";

describe("a two-layer MLP, counted by hand", () => {
  const g = graphOf(`model mlp
const batch = 2
input x: fp16[batch, 8]
param w1: fp16[8, 16]
param b1: fp16[16]
param w2: fp16[16, 4]
param b2: fp16[4]
h = relu(add(matmul(x, w1), b1))
output y = add(matmul(h, w2), b2)
`);
  const s = graphStats(g);
  it("counts parameters and their bytes by dtype", () => {
    // 8*16 + 16 + 16*4 + 4 = 128 + 16 + 64 + 4 = 212 parameters, 2 bytes each.
    expect(s.params).toEqual({
      count: 212,
      bytes: 424,
      tensors: 4,
      byDtype: { fp16: { count: 212, bytes: 424 } },
    });
    expect(s.state.count).toBe(0);
  });
  it("counts 2 FLOPs per multiply-accumulate and one per elementwise result", () => {
    // matmul 1: 2 * (2 rows * 8 * 16) = 512; add 1: 2 * 16 = 32; relu: 32; matmul 2: 2 * (2 * 16 * 4) = 256;
    // add 2: 2 * 4 = 8. Total 840.
    expect(s.flopsByOp).toEqual({ add: 40, matmul: 768, relu: 32 });
    expect(s.flops).toBe(840);
  });
  it("moves every weight once plus every op's activations in and out", () => {
    // Weights: 424 bytes. Activations (fp16): matmul 1 reads x (2*8*2 = 32) and writes 2*16*2 = 64; add 1 reads
    // 64 and writes 64; relu 64 + 64; matmul 2 reads 64 and writes 2*4*2 = 16; add 2 reads 16 and writes 16.
    // 96 + 128 + 128 + 80 + 32 = 464.
    expect(s.bytesMoved).toEqual({
      total: 888,
      weights: 424,
      stateRead: 0,
      stateWritten: 0,
      activations: 464,
    });
    expect(s.intensity).toBeCloseTo(840 / 888, 12);
  });
  it("counts ops by kind, declarations included", () => {
    expect(s.opCounts).toEqual({ add: 2, input: 1, matmul: 2, output: 1, param: 4, relu: 1 });
  });
});

describe("attention over a KV cache", () => {
  // B=1, S=1 new token, H=4 query heads sharing KVH=2 kv heads, Dh=8, C=6 cached tokens: 7 keys per query.
  const g = graphOf(`model att
input q: fp16[1, 1, 4, 8]
input k: fp16[1, 1, 2, 8]
input v: fp16[1, 1, 2, 8]
state kc: fp16[1, 6, 2, 8]
state vc: fp16[1, 6, 2, 8]
output o = attention(q, k, v, kc, vc)
`);
  const s = graphStats(g);
  it("counts QK and PV over ctx + seq keys, plus scale and softmax per score", () => {
    // scores = B*H*S*keys = 4*7 = 28; QK and PV: 2 * 2 * 28 * 8 = 896; scale + softmax: (1 + 5) * 28 = 168.
    expect(s.flops).toBe(1064);
  });
  it("reads the whole cache and writes the new keys and values", () => {
    // Each cache 1*6*2*8 fp16 = 192 bytes; the new k and v 1*1*2*8 fp16 = 32 bytes each.
    expect(s.state.bytes).toBe(384);
    expect(s.bytesMoved.stateRead).toBe(384);
    expect(s.bytesMoved.stateWritten).toBe(64);
    // q, k, v in (64 + 32 + 32) and the result out (64).
    expect(s.bytesMoved.activations).toBe(192);
  });
});

describe("weights that are only partly read", () => {
  it("an embedding reads its looked-up rows; a table shared with the lm head is read in full, once", () => {
    const base = `model e
input ids: int32[1, 3]
param table: fp16[100, 4]
h = embedding(ids, table)
`;
    // 3 rows of 4 fp16 = 24 bytes of the 800-byte table.
    expect(graphStats(graphOf(`${base}output y = relu(h)\n`)).bytesMoved.weights).toBe(24);
    expect(
      graphStats(graphOf(`${base}output y = matmul(h, table, transpose_b=true)\n`)).bytesMoved.weights,
    ).toBe(800);
  });
  it("moe reads only the experts the tokens can pick: min(E, tokens * k) of E", () => {
    const text = (tokens: number) => `model x
input x: fp16[1, ${tokens}, 4]
input w: fp16[1, ${tokens}, 2]
input idx: int32[1, ${tokens}, 2]
param g: fp16[8, 4, 16]
param u: fp16[8, 4, 16]
param d: fp16[8, 16, 4]
output y = moe(x, w, idx, g, u, d)
`;
    // Each expert tensor is 8 * 64 fp16 = 1024 bytes; 1 token picks 2 of 8 experts -> 256 bytes of each.
    expect(graphStats(graphOf(text(1))).bytesMoved.weights).toBe(3 * 256);
    // 5 tokens * 2 = 10 >= 8: every expert may be needed.
    expect(graphStats(graphOf(text(5))).bytesMoved.weights).toBe(3 * 1024);
    // FLOPs per token and expert: 6*D*F + (silu 4 + 1)*F + 2*D = 384 + 80 + 8 = 472; 1 token, k = 2.
    expect(graphStats(graphOf(text(1))).flops).toBe(944);
  });
  it("a reshaped weight is still a weight, and the reshape moves nothing", () => {
    const s = graphStats(
      graphOf(`model r
input x: fp16[1, 4]
param w: fp16[2, 2, 3]
output y = matmul(x, reshape(w, shape=[4, 3]))
`),
    );
    expect(s.bytesMoved.weights).toBe(24);
    // matmul reads x (8 bytes) and writes [1, 3] (6 bytes).
    expect(s.bytesMoved.activations).toBe(14);
  });
});

describe("human-readable units", () => {
  it("prints three significant digits with decimal prefixes", () => {
    expect(formatCount(6_738_415_616)).toBe("6.74 B");
    expect(formatCount(124_439_808)).toBe("124 M");
    expect(formatCount(212)).toBe("212");
    expect(formatBytes(13_476_831_232)).toBe("13.5 GB");
    expect(formatBytes(999_999)).toBe("1.00 MB");
    expect(formatFlops(14_304_884_736)).toBe("14.3 GFLOP");
  });
});
