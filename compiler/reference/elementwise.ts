// Elementwise ops: add and mul (numpy broadcasting), scale, the activations, and cast.
// Each result is computed in float64 from the (already rounded) operands and rounded once to the output dtype via
// fp32; for a single add or mul that equals the correctly rounded fp32 result, since fp64 has more than 2p+2 bits.
import type { TensorType } from "../graph/ir.ts";
import { allocate, broadcastStrides, forEachBroadcast, mapTo, rounder, type Tensor } from "./tensor.ts";

/** numpy-broadcast binary op; the output type comes from the graph (shape inference already checked it). */
export function binary(out: TensorType, a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const data = allocate(out);
  const round = rounder(out.dtype);
  const sa = broadcastStrides(a.type.shape, out.shape);
  const sb = broadcastStrides(b.type.shape, out.shape);
  const ad = a.data;
  const bd = b.data;
  forEachBroadcast(out.shape, [sa, sb], (i, [ia, ib]) => {
    data[i] = round(f(ad[ia!]!, bd[ib!]!));
  });
  return { type: out, data };
}

export const add = (out: TensorType, a: Tensor, b: Tensor): Tensor => binary(out, a, b, (x, y) => x + y);
export const mul = (out: TensorType, a: Tensor, b: Tensor): Tensor => binary(out, a, b, (x, y) => x * y);

/** An elementwise function of one operand, rounded to the output dtype. */
export function mapUnary(out: TensorType, x: Tensor, f: (v: number) => number): Tensor {
  return mapTo(out, x, f);
}

export function scale(out: TensorType, x: Tensor, factor: number): Tensor {
  return mapTo(out, x, (v) => v * factor);
}

/** sqrt(2 / pi), the constant of the tanh approximation (Hendrycks & Gimpel 2016, eq. in section 2). */
const GELU_C = Math.sqrt(2 / Math.PI);

export function geluTanh(v: number): number {
  return 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
}

export function silu(v: number): number {
  return v / (1 + Math.exp(-v));
}

export function relu(v: number): number {
  // Math.max ranks +0 above -0, so relu(-0) is +0, and NaN propagates.
  return Math.max(v, 0);
}

/** A dtype change: the value is re-rounded to the new dtype (floats to ints round half to even and saturate). */
export function cast(out: TensorType, x: Tensor): Tensor {
  return mapTo(out, x, (v) => v);
}
