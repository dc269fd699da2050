// Shape and dtype arithmetic shared by the op definitions: numpy broadcasting, axis normalisation, type equality.
// Pure functions on ir.ts types; `undefined` means "does not fit", and the caller words the diagnostic.
import type { DType, Shape, TensorType } from "../ir.ts";

/** numpy broadcasting: align from the right; equal dims or a 1 that stretches. */
export function broadcastShapes(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** A possibly negative axis (-1 = last) to 0..rank-1, or undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

export function isFloat(d: DType): boolean {
  return d === "fp8" || d === "fp16" || d === "bf16" || d === "fp32";
}

/**
 * The result dtype of a matrix product of activations `a` and weights `b` (matmul, moe), or undefined when they do
 * not combine. Same dtypes give that dtype, except int8 x int8, which gives its int32 accumulator (there is no
 * requantisation scale in the language). Float activations with int8 or fp8 weights are weight-only quantisation
 * and give the activation dtype.
 */
export function productDType(a: DType, b: DType): DType | undefined {
  if (a === b) return a === "int8" ? "int32" : a;
  if (isFloat(a) && a !== "fp8" && (b === "int8" || b === "fp8")) return a;
  return undefined;
}

/** The last dimension (1 for a scalar), for per-row cost formulas. */
export function lastDim(s: Shape): number {
  return s[s.length - 1] ?? 1;
}
