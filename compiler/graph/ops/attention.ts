// attention(q, k, v[, k_cache, v_cache]): grouped-query attention over C cached tokens plus S new ones.
// q [B, S, H, Dh]; k, v [B, S, KVH, Dh]; caches [B, C, KVH, Dh]; H % KVH == 0 -> [B, S, H, Dh], q's dtype.
import { formatType, type TensorType, tensorBytes } from "../ir.ts";
import { DTYPE_MISMATCH, OPERAND_COUNT, OPERAND_TYPE, TYPES_DISAGREE } from "../messages.ts";
import { ELEMENT_FLOPS } from "./elementwise.ts";
import { isFloat, sameShape } from "./shapes.ts";
import { type Inferred, type OpDef, ok, problem } from "./types.ts";

const PORTS = ["q", "k", "v", "k_cache", "v_cache"] as const;

/** Batch, new tokens, query heads, head size, and keys per query (C + S). */
function sizes(inputs: readonly TensorType[]): { b: number; s: number; h: number; dh: number; keys: number } {
  const [b, s, h, dh] = inputs[0]!.shape as [number, number, number, number];
  const cached = inputs.length === 5 ? inputs[3]!.shape[1]! : 0;
  return { b, s, h, dh, keys: cached + s };
}

function check(inputs: readonly TensorType[]): Inferred | undefined {
  const [q, k, v] = inputs as [TensorType, TensorType, TensorType];
  for (const [i, t] of inputs.entries()) {
    if (t.shape.length !== 4) {
      const want = i === 0 ? "[B, S, H, Dh]" : i < 3 ? "[B, S, KVH, Dh]" : "[B, C, KVH, Dh]";
      return problem(OPERAND_TYPE, ["attention", PORTS[i]!, want, formatType(t)], { operand: i });
    }
    if (t.dtype !== q.dtype)
      return problem(DTYPE_MISMATCH, ["attention", formatType(q), formatType(t)], { operand: i });
  }
  if (!isFloat(q.dtype)) return problem(OPERAND_TYPE, ["attention", "q", "a float tensor", formatType(q)]);
  const [b, s, h, dh] = q.shape as [number, number, number, number];
  const kvh = k.shape[2]!;
  if (!sameShape(k.shape, [b, s, kvh, dh])) {
    return problem(TYPES_DISAGREE, [
      "attention",
      "q and k differ in batch, tokens or head size",
      formatType(q),
      formatType(k),
    ]);
  }
  if (h % kvh !== 0) {
    return problem(TYPES_DISAGREE, [
      "attention",
      `query heads (${h}) must be a multiple of kv heads (${kvh})`,
      formatType(q),
      formatType(k),
    ]);
  }
  if (!sameShape(v.shape, k.shape)) {
    return problem(TYPES_DISAGREE, ["attention", "k and v differ", formatType(k), formatType(v)], {
      operand: 2,
    });
  }
  if (inputs.length === 5) {
    const [kc, vc] = [inputs[3]!, inputs[4]!];
    if (kc.shape[0] !== b || kc.shape[2] !== kvh || kc.shape[3] !== dh) {
      return problem(
        TYPES_DISAGREE,
        ["attention", "k_cache must be [B, C, KVH, Dh] of k", formatType(k), formatType(kc)],
        { operand: 3 },
      );
    }
    if (!sameShape(vc.shape, kc.shape)) {
      return problem(
        TYPES_DISAGREE,
        ["attention", "k_cache and v_cache differ", formatType(kc), formatType(vc)],
        {
          operand: 4,
        },
      );
    }
  }
  return undefined;
}

export const attention: OpDef<"attention"> = {
  kind: "attention",
  // Three operands, or five with the caches; four is rejected in infer.
  operands: { min: 3, max: 5 },
  attributes: ["causal", "scale"],
  parse: (a, inputs) => {
    const dh = inputs[0]?.shape[3] ?? 1;
    return { kind: "attention", causal: a.bool("causal", true), scale: a.number("scale", 1 / Math.sqrt(dh)) };
  },
  infer: (_op, inputs) => {
    if (inputs.length === 4) {
      return problem(OPERAND_COUNT, ["attention", "3 (q, k, v) or 5 (q, k, v, k_cache, v_cache)", 4]);
    }
    return check(inputs) ?? ok(inputs[0]!);
  },
  // QK^T and PV over every key (C + S per query, the causal mask not subtracted: the products are computed
  // and masked), 2 FLOPs per MAC each; then the scale and the softmax on every score.
  flops: (_op, inputs) => {
    const { b, s, h, dh, keys } = sizes(inputs);
    const scores = b * h * s * keys;
    return 2 * 2 * scores * dh + (ELEMENT_FLOPS.scale + ELEMENT_FLOPS.softmax) * scores;
  },
  // The new keys and values are appended to the cache.
  stateBytesWritten: (_op, inputs) =>
    inputs.length === 5 ? tensorBytes(inputs[1]!) + tensorBytes(inputs[2]!) : 0,
};
