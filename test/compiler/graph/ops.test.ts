// Shape and dtype inference of every op in the registry (docs/language.md, "Operations"), and the diagnostics for
// mismatches, which must name both types.
import { describe, expect, it } from "vitest";
import { buildOp, type ComputeKind, OP_NAMES } from "../../../compiler/graph/ops/index.ts";
import { attrs, infer, t } from "./helpers.ts";

type Case = readonly [
  inputs: string[],
  attributes: Record<string, number | boolean | string | number[]>,
  out: string,
];

// At least one valid call per op; the mapped type makes a new op without a case a type error.
const VALID: { readonly [K in ComputeKind]: readonly Case[] } = {
  matmul: [
    [["fp16[1, 1, 64]", "fp16[64, 32]"], {}, "fp16[1, 1, 32]"],
    [["fp16[1, 1, 64]", "fp16[256, 64]"], { transpose_b: true }, "fp16[1, 1, 256]"],
    [["fp16[2, 3, 4, 5]", "fp16[2, 3, 5, 6]"], {}, "fp16[2, 3, 4, 6]"],
    [["fp16[2, 1, 4, 5]", "fp16[3, 5, 6]"], {}, "fp16[2, 3, 4, 6]"],
    [["int8[4, 8]", "int8[8, 2]"], {}, "int32[4, 2]"],
    [["bf16[4, 8]", "int8[8, 2]"], {}, "bf16[4, 2]"],
  ],
  add: [
    [["fp16[2, 1, 4]", "fp16[3, 1]"], {}, "fp16[2, 3, 4]"],
    [["fp16[2, 4]", "fp16[4]"], {}, "fp16[2, 4]"],
  ],
  mul: [[["fp32[1, 1, 8]", "fp32[1, 1, 8]"], {}, "fp32[1, 1, 8]"]],
  scale: [[["fp16[3, 4]"], { factor: 0.125 }, "fp16[3, 4]"]],
  gelu: [[["fp16[3, 4]"], {}, "fp16[3, 4]"]],
  silu: [[["bf16[3, 4]"], {}, "bf16[3, 4]"]],
  relu: [[["int32[3]"], {}, "int32[3]"]],
  softmax: [
    [["fp16[2, 5]"], {}, "fp16[2, 5]"],
    [["fp16[2, 5]"], { axis: 0 }, "fp16[2, 5]"],
  ],
  layernorm: [[["fp16[1, 2, 8]", "fp16[8]", "fp16[8]"], { eps: 1e-5 }, "fp16[1, 2, 8]"]],
  rmsnorm: [[["bf16[1, 2, 8]", "bf16[8]"], {}, "bf16[1, 2, 8]"]],
  rope: [[["fp16[1, 3, 4, 16]"], { start: 7 }, "fp16[1, 3, 4, 16]"]],
  embedding: [[["int32[1, 3]", "fp16[256, 64]"], {}, "fp16[1, 3, 64]"]],
  reshape: [
    [["fp16[1, 1, 64]"], { shape: [1, 1, 4, -1] }, "fp16[1, 1, 4, 16]"],
    [["fp16[2, 3, 4]"], { shape: [6, 4] }, "fp16[6, 4]"],
  ],
  transpose: [[["fp16[1, 2, 3, 4]"], { perm: [0, 2, 1, 3] }, "fp16[1, 3, 2, 4]"]],
  concat: [
    [["fp16[2, 3]", "fp16[2, 5]"], { axis: 1 }, "fp16[2, 8]"],
    [["fp16[1, 4]", "fp16[2, 4]", "fp16[3, 4]"], { axis: -2 }, "fp16[6, 4]"],
  ],
  split: [
    [
      ["fp16[1, 1, 192]"],
      { axis: -1, sizes: [64, 64, 64] },
      "fp16[1, 1, 64], fp16[1, 1, 64], fp16[1, 1, 64]",
    ],
    [["fp16[6, 2]"], { axis: 0, sizes: [1, 5] }, "fp16[1, 2], fp16[5, 2]"],
  ],
  cast: [
    [["fp16[2, 3]"], {}, "fp32[2, 3]"],
    [["fp32[2, 3]"], { to: "dt:bf16" }, "bf16[2, 3]"],
  ],
  attention: [
    // Multi-head, no cache (an encoder or a prefill).
    [["fp16[1, 4, 8, 16]", "fp16[1, 4, 8, 16]", "fp16[1, 4, 8, 16]"], { causal: false }, "fp16[1, 4, 8, 16]"],
    // Grouped-query (Llama-3-8B shapes): 32 query heads share 8 kv heads; 2048 cached tokens.
    [
      [
        "bf16[1, 1, 32, 128]",
        "bf16[1, 1, 8, 128]",
        "bf16[1, 1, 8, 128]",
        "bf16[1, 2048, 8, 128]",
        "bf16[1, 2048, 8, 128]",
      ],
      {},
      "bf16[1, 1, 32, 128]",
    ],
  ],
  topk: [[["fp16[1, 1, 8]"], { k: 2 }, "fp16[1, 1, 2], int32[1, 1, 2]"]],
  moe: [
    [
      [
        "fp16[1, 1, 64]",
        "fp16[1, 1, 2]",
        "int32[1, 1, 2]",
        "fp16[8, 64, 128]",
        "fp16[8, 64, 128]",
        "fp16[8, 128, 64]",
      ],
      { act: "gelu" },
      "fp16[1, 1, 64]",
    ],
  ],
};

describe("shape and dtype inference", () => {
  it("has a case for every op the language names", () => {
    expect(Object.keys(VALID).sort()).toEqual([...OP_NAMES]);
  });
  for (const kind of OP_NAMES) {
    for (const [inputs, attributes, out] of VALID[kind]) {
      it(`${kind}(${inputs.join(", ")}) ${JSON.stringify(attributes)} -> ${out}`, () => {
        expect(infer(kind, inputs, attributes)).toBe(out);
      });
    }
  }
});

describe("attribute defaults follow docs/language.md", () => {
  const opOf = (kind: ComputeKind, inputs: string[], a = {}) => {
    const r = buildOp(kind, attrs(a), inputs.map(t));
    if ("problems" in r) throw new Error("unexpected problem");
    return r.op;
  };
  it("attention is causal with scale 1/sqrt(Dh) unless told otherwise", () => {
    const q = "fp16[1, 1, 4, 64]";
    expect(opOf("attention", [q, q, q])).toEqual({ kind: "attention", causal: true, scale: 0.125 });
    expect(opOf("attention", [q, q, q], { scale: 0.5, causal: false })).toEqual({
      kind: "attention",
      causal: false,
      scale: 0.5,
    });
  });
  it("eps is 1e-5 for layernorm and 1e-6 for rmsnorm; rope starts at 0 with base 10000; moe uses silu", () => {
    expect(opOf("layernorm", ["fp16[4]", "fp16[4]", "fp16[4]"])).toEqual({ kind: "layernorm", eps: 1e-5 });
    expect(opOf("rmsnorm", ["fp16[4]", "fp16[4]"])).toEqual({ kind: "rmsnorm", eps: 1e-6 });
    expect(opOf("rope", ["fp16[1, 1, 1, 4]"])).toEqual({ kind: "rope", start: 0, base: 10000 });
    const moe = [
      "fp16[1, 1, 4]",
      "fp16[1, 1, 1]",
      "int32[1, 1, 1]",
      "fp16[2, 4, 8]",
      "fp16[2, 4, 8]",
      "fp16[2, 8, 4]",
    ];
    expect(opOf("moe", moe)).toEqual({ kind: "moe", activation: "silu" });
    expect(opOf("matmul", ["fp16[1, 4]", "fp16[4, 2]"])).toEqual({ kind: "matmul", transposeB: false });
  });
});

// Each mistake and its exact message: shape and dtype messages name both operand types.
const ERRORS: readonly [
  ComputeKind,
  string[],
  Record<string, number | boolean | string | number[]>,
  string,
][] = [
  [
    "matmul",
    ["fp16[1, 1, 64]", "fp16[32, 64]"],
    {},
    "LPU2030 matmul: inner dimensions differ: fp16[1, 1, 64] x fp16[32, 64] (64 vs 32)",
  ],
  [
    "matmul",
    ["fp16[1, 1, 64]", "fp16[64, 32]"],
    { transpose_b: true },
    "LPU2030 matmul: inner dimensions differ: fp16[1, 1, 64] x fp16[64, 32]^T (64 vs 32)",
  ],
  [
    "matmul",
    ["fp16[1, 64]", "bf16[64, 2]"],
    {},
    "LPU2032 matmul: dtypes differ: fp16[1, 64] and bf16[64, 2]",
  ],
  [
    "matmul",
    ["fp16[2, 1, 4]", "fp16[3, 4, 5]"],
    {},
    "LPU2031 matmul: shapes do not broadcast: fp16[2, 1, 4] and fp16[3, 4, 5]",
  ],
  ["matmul", ["fp16[64]", "fp16[64, 2]"], {}, "LPU2033 matmul: a must be [..., M, K], got fp16[64]"],
  ["add", ["fp16[2, 3]", "fp16[4]"], {}, "LPU2031 add: shapes do not broadcast: fp16[2, 3] and fp16[4]"],
  ["mul", ["fp16[2, 3]", "fp32[2, 3]"], {}, "LPU2032 mul: dtypes differ: fp16[2, 3] and fp32[2, 3]"],
  ["add", ["fp16[2]", "fp16[2]", "fp16[2]"], {}, "LPU2020 add takes 2 operands, got 3"],
  ["scale", ["fp16[2]"], {}, "LPU2022 scale needs the attribute 'factor'"],
  ["silu", ["int32[2]"], {}, "LPU2033 silu: x must be a float tensor, got int32[2]"],
  ["softmax", ["fp16[2, 5]"], { axis: 2 }, "LPU2036 softmax: axis 2 is out of range for fp16[2, 5]"],
  [
    "layernorm",
    ["fp16[1, 8]", "fp16[4]", "fp16[8]"],
    {},
    "LPU2034 layernorm: the gain must be as long as the last axis: fp16[1, 8] and fp16[4]",
  ],
  ["rmsnorm", ["fp16[1, 8]", "fp32[8]"], {}, "LPU2032 rmsnorm: dtypes differ: fp16[1, 8] and fp32[8]"],
  [
    "rope",
    ["fp16[1, 1, 4, 15]"],
    {},
    "LPU2033 rope: x must be [B, S, H, Dh] with Dh even, got fp16[1, 1, 4, 15]",
  ],
  ["embedding", ["fp16[1, 3]", "fp16[8, 4]"], {}, "LPU2033 embedding: ids must be int32, got fp16[1, 3]"],
  [
    "reshape",
    ["fp16[1, 1, 64]"],
    { shape: [1, 1, 5, 16] },
    "LPU2035 reshape: element counts differ: fp16[1, 1, 64] to [1, 1, 5, 16] (64 vs 80)",
  ],
  [
    "reshape",
    ["fp16[2, 3]"],
    { shape: [5, -1] },
    "LPU2035 reshape: element counts differ: fp16[2, 3] to [5, -1] (6 vs a multiple of 5)",
  ],
  [
    "reshape",
    ["fp16[2, 3]"],
    { shape: [-1, -1] },
    "LPU2024 reshape: attribute 'shape' allows positive sizes and one -1, got [-1, -1]",
  ],
  [
    "transpose",
    ["fp16[2, 3, 4]"],
    { perm: [0, 0, 1] },
    "LPU2024 transpose: attribute 'perm' must order the axes 0..2 of fp16[2, 3, 4], got [0, 0, 1]",
  ],
  [
    "concat",
    ["fp16[2, 3]", "fp16[4, 5]"],
    { axis: 1 },
    "LPU2034 concat: shapes differ outside axis 1: fp16[2, 3] and fp16[4, 5]",
  ],
  ["concat", ["fp16[2, 3]"], {}, "LPU2022 concat needs the attribute 'axis'"],
  [
    "split",
    ["fp16[1, 1, 192]"],
    { axis: -1, sizes: [64, 64] },
    "LPU2024 split: attribute 'sizes' [64, 64] must be positive and sum to axis -1 of fp16[1, 1, 192] (128 vs 192)",
  ],
  [
    "attention",
    ["fp16[1, 1, 6, 8]", "fp16[1, 1, 4, 8]", "fp16[1, 1, 4, 8]"],
    {},
    "LPU2034 attention: query heads (6) must be a multiple of kv heads (4): fp16[1, 1, 6, 8] and fp16[1, 1, 4, 8]",
  ],
  [
    "attention",
    ["fp16[1, 1, 4, 8]", "fp16[1, 2, 4, 8]", "fp16[1, 2, 4, 8]"],
    {},
    "LPU2034 attention: q and k differ in batch, tokens or head size: fp16[1, 1, 4, 8] and fp16[1, 2, 4, 8]",
  ],
  [
    "attention",
    ["fp16[1, 1, 4, 8]", "fp16[1, 1, 2, 8]", "fp16[1, 1, 2, 8]", "fp16[1, 9, 4, 8]", "fp16[1, 9, 4, 8]"],
    {},
    "LPU2034 attention: k_cache must be [B, C, KVH, Dh] of k: fp16[1, 1, 2, 8] and fp16[1, 9, 4, 8]",
  ],
  [
    "attention",
    ["fp16[1, 1, 4, 8]", "fp16[1, 1, 4, 8]", "fp16[1, 1, 4, 8]", "fp16[1, 9, 4, 8]"],
    {},
    "LPU2020 attention takes 3 (q, k, v) or 5 (q, k, v, k_cache, v_cache) operands, got 4",
  ],
  ["topk", ["fp16[1, 8]"], { k: 9 }, "LPU2024 topk: attribute 'k' must be 1..8 for fp16[1, 8], got 9"],
  [
    "moe",
    [
      "fp16[1, 1, 64]",
      "fp16[1, 1, 2]",
      "int32[1, 1, 2]",
      "fp16[8, 64, 128]",
      "fp16[8, 64, 128]",
      "fp16[8, 64, 128]",
    ],
    {},
    "LPU2034 moe: w_down must be [E, F, D] of w_gate: fp16[8, 64, 128] and fp16[8, 64, 128]",
  ],
  [
    "moe",
    ["fp16[1, 1, 4]", "fp16[1, 1, 1]", "int32[1, 1, 1]", "fp16[2, 4, 8]", "fp16[2, 4, 8]", "fp16[2, 8, 4]"],
    { act: "relu" },
    "LPU2023 moe: attribute 'act' must be one of silu, gelu, got 'relu'",
  ],
  ["cast", ["fp16[2]"], { to: 3 }, "LPU2023 cast: attribute 'to' must be a dtype, got 3"],
  [
    "matmul",
    ["fp16[1, 4]", "fp16[4, 2]"],
    { transpose_bb: true },
    "LPU2021 matmul has no attribute 'transpose_bb'",
  ],
];

describe("mistakes are diagnostics that name both types", () => {
  for (const [kind, inputs, attributes, message] of ERRORS) {
    it(message, () => {
      expect(infer(kind, inputs, attributes)).toBe(message);
    });
  }
  it("an unknown attribute comes with a near-miss hint", () => {
    const r = buildOp("matmul", attrs({ transpose_bb: true }), [t("fp16[1, 4]"), t("fp16[4, 2]")]);
    expect("problems" in r && r.problems[0]!.hint).toBe("did you mean 'transpose_b'?");
  });
});
