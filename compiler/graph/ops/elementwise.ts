// Elementwise and per-row ops: add, mul, scale, gelu, silu, relu, softmax, layernorm, rmsnorm, rope, cast.
// Each result has its first operand's shape (add/mul: the numpy broadcast of both) and, except cast, its dtype.
import { formatType, numElements, type TensorType } from "../ir.ts";
import { AXIS_RANGE, DTYPE_MISMATCH, NO_BROADCAST, OPERAND_TYPE, TYPES_DISAGREE } from "../messages.ts";
import { broadcastShapes, isFloat, lastDim, normalizeAxis, sameShape } from "./shapes.ts";
import { type ComputeKind, type Inferred, type OpDef, type OpOf, ok, problem } from "./types.ts";

/**
 * FLOPs per result element: the arithmetic in each op's defining formula, a transcendental (exp, tanh, rsqrt)
 * counting 1. silu = x / (1 + exp(-x)): negate, exp, add, divide. gelu (tanh form)
 * 0.5 x (1 + tanh(c (x + 0.044715 x^3))): 2 for x^3, then scale, add, scale, tanh, add, multiply, halve.
 * softmax: max, subtract, exp, sum, divide. layernorm: mean, subtract, square, sum, normalise, gain, bias.
 * rmsnorm: square, sum, normalise, gain. rope: x cos + rotate(x) sin (the tables are constants).
 */
export const ELEMENT_FLOPS = {
  add: 1,
  mul: 1,
  scale: 1,
  relu: 1,
  silu: 4,
  gelu: 9,
  softmax: 5,
  layernorm: 7,
  rmsnorm: 4,
  rope: 3,
} as const;

function needFloat(op: string, what: string, t: TensorType): Inferred | undefined {
  return isFloat(t.dtype) ? undefined : problem(OPERAND_TYPE, [op, what, "a float tensor", formatType(t)]);
}

function binary<K extends "add" | "mul">(kind: K): OpDef<K> {
  return {
    kind,
    operands: { min: 2, max: 2 },
    attributes: [],
    parse: () => ({ kind }) as OpOf<K>,
    infer: (_op, [a, b]) => {
      if (a!.dtype !== b!.dtype) return problem(DTYPE_MISMATCH, [kind, formatType(a!), formatType(b!)]);
      const shape = broadcastShapes(a!.shape, b!.shape);
      if (!shape) return problem(NO_BROADCAST, [kind, formatType(a!), formatType(b!)]);
      return ok({ dtype: a!.dtype, shape });
    },
    flops: (_op, _in, [out]) => ELEMENT_FLOPS[kind] * numElements(out!.shape),
  };
}

type Unary = "gelu" | "silu" | "relu";

function unary<K extends Unary>(kind: K): OpDef<K> {
  return {
    kind,
    operands: { min: 1, max: 1 },
    attributes: [],
    parse: () => ({ kind }) as OpOf<K>,
    infer: (_op, [x]) => (kind === "relu" ? undefined : needFloat(kind, "x", x!)) ?? ok(x!),
    flops: (_op, [x]) => ELEMENT_FLOPS[kind] * numElements(x!.shape),
  };
}

export const add = binary("add");
export const mul = binary("mul");
export const gelu = unary("gelu");
export const silu = unary("silu");
export const relu = unary("relu");

export const scale: OpDef<"scale"> = {
  kind: "scale",
  operands: { min: 1, max: 1 },
  attributes: ["factor"],
  parse: (a) => ({ kind: "scale", factor: a.number("factor") }),
  infer: (_op, [x]) => needFloat("scale", "x", x!) ?? ok(x!),
  flops: (_op, [x]) => ELEMENT_FLOPS.scale * numElements(x!.shape),
};

export const softmax: OpDef<"softmax"> = {
  kind: "softmax",
  operands: { min: 1, max: 1 },
  attributes: ["axis"],
  parse: (a) => ({ kind: "softmax", axis: a.int("axis", -1) }),
  infer: (op, [x]) => {
    if (normalizeAxis(op.axis, x!.shape.length) === undefined) {
      return problem(AXIS_RANGE, ["softmax", op.axis, formatType(x!)], { attr: "axis" });
    }
    return needFloat("softmax", "x", x!) ?? ok(x!);
  },
  flops: (_op, [x]) => ELEMENT_FLOPS.softmax * numElements(x!.shape),
};

/** A normalisation's gain or bias: a vector as long as the operand's last axis, in its dtype. */
function checkNormVector(op: string, what: string, x: TensorType, v: TensorType): Inferred | undefined {
  if (v.dtype !== x.dtype) return problem(DTYPE_MISMATCH, [op, formatType(x), formatType(v)]);
  if (!sameShape(v.shape, [lastDim(x.shape)]) || x.shape.length === 0) {
    return problem(TYPES_DISAGREE, [
      op,
      `${what} must be as long as the last axis`,
      formatType(x),
      formatType(v),
    ]);
  }
  return undefined;
}

export const layernorm: OpDef<"layernorm"> = {
  kind: "layernorm",
  operands: { min: 3, max: 3 },
  attributes: ["eps"],
  parse: (a) => ({ kind: "layernorm", eps: a.number("eps", 1e-5) }),
  infer: (_op, [x, g, b]) =>
    needFloat("layernorm", "x", x!) ??
    checkNormVector("layernorm", "the gain", x!, g!) ??
    checkNormVector("layernorm", "the bias", x!, b!) ??
    ok(x!),
  flops: (_op, [x]) => ELEMENT_FLOPS.layernorm * numElements(x!.shape),
};

export const rmsnorm: OpDef<"rmsnorm"> = {
  kind: "rmsnorm",
  operands: { min: 2, max: 2 },
  attributes: ["eps"],
  parse: (a) => ({ kind: "rmsnorm", eps: a.number("eps", 1e-6) }),
  infer: (_op, [x, g]) =>
    needFloat("rmsnorm", "x", x!) ?? checkNormVector("rmsnorm", "the gain", x!, g!) ?? ok(x!),
  flops: (_op, [x]) => ELEMENT_FLOPS.rmsnorm * numElements(x!.shape),
};

export const rope: OpDef<"rope"> = {
  kind: "rope",
  operands: { min: 1, max: 1 },
  attributes: ["start", "base"],
  parse: (a) => ({ kind: "rope", start: a.int("start", 0), base: a.number("base", 10000) }),
  infer: (_op, [x]) => {
    const bad = needFloat("rope", "x", x!);
    if (bad) return bad;
    if (x!.shape.length !== 4 || lastDim(x!.shape) % 2 !== 0) {
      return problem(OPERAND_TYPE, ["rope", "x", "[B, S, H, Dh] with Dh even", formatType(x!)]);
    }
    return ok(x!);
  },
  flops: (_op, [x]) => ELEMENT_FLOPS.rope * numElements(x!.shape),
};

export const cast: OpDef<"cast"> = {
  kind: "cast",
  operands: { min: 1, max: 1 },
  attributes: ["to"],
  parse: (a) => ({ kind: "cast", to: a.dtype("to", "fp32") }),
  infer: (op, [x]) => ok({ dtype: op.to, shape: x!.shape }),
  // A conversion is rounding, not arithmetic.
  flops: () => 0,
};

export type ElementwiseKind = Extract<
  ComputeKind,
  "add" | "mul" | "scale" | Unary | "softmax" | "layernorm" | "rmsnorm" | "rope" | "cast"
>;
