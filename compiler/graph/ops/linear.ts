// Ops built on matrix products and lookups: matmul, embedding, moe (mixture of experts), topk (routing).
// Shapes follow docs/language.md; dtypes follow productDType (shapes.ts). FLOPs count 2 per multiply-accumulate.
import { DTYPE_BYTES, formatType, numElements, type TensorType, tensorBytes } from "../ir.ts";
import {
  ATTRIBUTE_VALUE,
  DTYPE_MISMATCH,
  MATMUL_INNER,
  NO_BROADCAST,
  OPERAND_TYPE,
  TYPES_DISAGREE,
} from "../messages.ts";
import { ELEMENT_FLOPS } from "./elementwise.ts";
import { broadcastShapes, isFloat, lastDim, productDType, sameShape } from "./shapes.ts";
import { type OpDef, ok, problem } from "./types.ts";

export const matmul: OpDef<"matmul"> = {
  kind: "matmul",
  operands: { min: 2, max: 2 },
  attributes: ["transpose_b"],
  parse: (a) => ({ kind: "matmul", transposeB: a.bool("transpose_b", false) }),
  infer: (op, [a, b]) => {
    const bText = `${formatType(b!)}${op.transposeB ? "^T" : ""}`;
    if (a!.shape.length < 2) return problem(OPERAND_TYPE, ["matmul", "a", "[..., M, K]", formatType(a!)]);
    if (b!.shape.length < 2) return problem(OPERAND_TYPE, ["matmul", "b", "[..., K, N]", formatType(b!)]);
    const dtype = productDType(a!.dtype, b!.dtype);
    if (!dtype) return problem(DTYPE_MISMATCH, ["matmul", formatType(a!), bText]);
    const [m, k] = a!.shape.slice(-2) as [number, number];
    const [b0, b1] = b!.shape.slice(-2) as [number, number];
    const [kb, n] = op.transposeB ? [b1, b0] : [b0, b1];
    if (k !== kb) return problem(MATMUL_INNER, ["matmul", formatType(a!), bText, k, kb]);
    const batch = broadcastShapes(a!.shape.slice(0, -2), b!.shape.slice(0, -2));
    if (!batch) return problem(NO_BROADCAST, ["matmul", formatType(a!), bText]);
    return ok({ dtype, shape: [...batch, m, n] });
  },
  flops: (_op, [a], [out]) => 2 * numElements(out!.shape) * lastDim(a!.shape),
};

export const embedding: OpDef<"embedding"> = {
  kind: "embedding",
  operands: { min: 2, max: 2 },
  attributes: [],
  parse: () => ({ kind: "embedding" }),
  infer: (_op, [ids, table]) => {
    if (ids!.dtype !== "int32") return problem(OPERAND_TYPE, ["embedding", "ids", "int32", formatType(ids!)]);
    if (table!.shape.length !== 2) {
      return problem(OPERAND_TYPE, ["embedding", "table", "[V, D]", formatType(table!)]);
    }
    return ok({ dtype: table!.dtype, shape: [...ids!.shape, table!.shape[1]!] });
  },
  flops: () => 0,
  // A lookup reads one row per id (at most the whole table).
  weightBytes: (_op, [ids, table], index) =>
    index === 1
      ? Math.min(numElements(ids!.shape), table!.shape[0]!) *
        lastDim(table!.shape) *
        DTYPE_BYTES[table!.dtype]
      : tensorBytes(ids!),
};

export const topk: OpDef<"topk"> = {
  kind: "topk",
  operands: { min: 1, max: 1 },
  attributes: ["k"],
  parse: (a) => ({ kind: "topk", k: a.int("k") }),
  infer: (op, [x]) => {
    const n = x!.shape.length === 0 ? 0 : lastDim(x!.shape);
    if (op.k < 1 || op.k > n) {
      return problem(ATTRIBUTE_VALUE, ["topk", "k", `must be 1..${n} for ${formatType(x!)}, got ${op.k}`], {
        attr: "k",
      });
    }
    const shape = [...x!.shape.slice(0, -1), op.k];
    return ok({ dtype: x!.dtype, shape }, { dtype: "int32", shape });
  },
  // One comparison per element: a selection pass for a small k.
  flops: (_op, [x]) => numElements(x!.shape),
};

const MOE_PORTS = ["x", "w", "idx", "w_gate", "w_up", "w_down"] as const;

/** Tokens and the routing fan-out k of a moe call: x is [B, S, D], w is [B, S, k]. */
function moeSizes([x, w, , gate]: readonly TensorType[]): {
  tokens: number;
  k: number;
  d: number;
  f: number;
} {
  return {
    tokens: numElements(x!.shape.slice(0, -1)),
    k: lastDim(w!.shape),
    d: lastDim(x!.shape),
    f: lastDim(gate!.shape),
  };
}

export const moe: OpDef<"moe"> = {
  kind: "moe",
  operands: { min: 6, max: 6 },
  attributes: ["act"],
  parse: (a) => ({ kind: "moe", activation: a.word("act", ["silu", "gelu"] as const, "silu") }),
  infer: (_op, inputs) => {
    const [x, w, idx, gate, up, down] = inputs as [
      TensorType,
      TensorType,
      TensorType,
      TensorType,
      ...TensorType[],
    ];
    const fail = (i: number, want: string) =>
      problem(OPERAND_TYPE, ["moe", MOE_PORTS[i]!, want, formatType(inputs[i]!)]);
    if (x.shape.length !== 3 || !isFloat(x.dtype)) return fail(0, "a float [B, S, D]");
    const [b, s, d] = x.shape as [number, number, number];
    if (w.shape.length !== 3 || !isFloat(w.dtype)) return fail(1, "a float [B, S, k]");
    const k = w.shape[2]!;
    if (!sameShape(w.shape, [b, s, k])) {
      return problem(TYPES_DISAGREE, [
        "moe",
        "x and w differ in batch or tokens",
        formatType(x),
        formatType(w),
      ]);
    }
    if (idx.dtype !== "int32" || !sameShape(idx.shape, w.shape)) {
      return problem(TYPES_DISAGREE, [
        "moe",
        "idx must be int32 shaped like w",
        formatType(w),
        formatType(idx),
      ]);
    }
    if (gate.shape.length !== 3 || gate.shape[1] !== d) return fail(3, `[E, ${d}, F]`);
    const [e, , f] = gate.shape as [number, number, number];
    if (!sameShape(up!.shape, gate.shape) || up!.dtype !== gate.dtype) {
      return problem(TYPES_DISAGREE, ["moe", "w_gate and w_up differ", formatType(gate), formatType(up!)]);
    }
    if (!sameShape(down!.shape, [e, f, d]) || down!.dtype !== gate.dtype) {
      return problem(TYPES_DISAGREE, [
        "moe",
        "w_down must be [E, F, D] of w_gate",
        formatType(gate),
        formatType(down!),
      ]);
    }
    if (!productDType(x.dtype, gate.dtype))
      return problem(DTYPE_MISMATCH, ["moe", formatType(x), formatType(gate)]);
    if (k > e) {
      return problem(TYPES_DISAGREE, [
        "moe",
        "more experts per token than experts",
        formatType(w),
        formatType(gate),
      ]);
    }
    return ok(x);
  },
  // Per token and chosen expert: gate, up and down products (2 D F each), the activation and the product with
  // up (F each), then the weighting and the sum over experts (D each).
  flops: (op, inputs) => {
    const { tokens, k, d, f } = moeSizes(inputs);
    return tokens * k * (6 * d * f + (ELEMENT_FLOPS[op.activation] + 1) * f + 2 * d);
  },
  // Only the experts that some token picks are read; with T tokens choosing k each, at most min(E, T k) of E.
  weightBytes: (_op, inputs, index) => {
    const t = inputs[index]!;
    if (index < 3) return tensorBytes(t);
    const { tokens, k } = moeSizes(inputs);
    const e = t.shape[0]!;
    return (tensorBytes(t) * Math.min(e, tokens * k)) / e;
  },
};
