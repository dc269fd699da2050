// Reductions along one axis: softmax (numerically stable: the row maximum is subtracted before exp), layernorm and
// rmsnorm over the last axis. Sums and statistics are float64; each result is rounded once to the output dtype.

import { invariant } from "../../util/assert.ts";
import type { TensorType } from "../graph/ir.ts";
import { allocate, aroundAxis, normalizeAxis, rounder, type Tensor } from "./tensor.ts";

export function softmax(out: TensorType, x: Tensor, axis: number): Tensor {
  const ax = normalizeAxis(axis, x.type.shape.length);
  const { outer, size, inner } = aroundAxis(x.type.shape, ax);
  const data = allocate(out);
  const round = rounder(out.dtype);
  const e = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < size; s++) max = Math.max(max, x.data[base + s * inner]);
      let sum = 0;
      for (let s = 0; s < size; s++) {
        e[s] = Math.exp(x.data[base + s * inner] - max);
        sum += e[s];
      }
      for (let s = 0; s < size; s++) data[base + s * inner] = round(e[s] / sum);
    }
  }
  return { type: out, data };
}

/** Softmax of a plain row in float64, for the kernels (attention) that fuse it. */
export function softmaxRow(row: Float64Array, length: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < length; s++) max = Math.max(max, row[s]);
  let sum = 0;
  for (let s = 0; s < length; s++) {
    row[s] = Math.exp(row[s] - max);
    sum += row[s];
  }
  for (let s = 0; s < length; s++) row[s] /= sum;
}

/** (x - mean) / sqrt(var + eps) * g + b over the last axis; var is the biased (population) variance. */
export function layernorm(out: TensorType, x: Tensor, g: Tensor, b: Tensor, eps: number): Tensor {
  return normalizeRows(out, x, g, b, eps, true);
}

/** x / sqrt(mean(x^2) + eps) * g over the last axis. */
export function rmsnorm(out: TensorType, x: Tensor, g: Tensor, eps: number): Tensor {
  return normalizeRows(out, x, g, undefined, eps, false);
}

function normalizeRows(
  out: TensorType,
  x: Tensor,
  g: Tensor,
  b: Tensor | undefined,
  eps: number,
  centre: boolean,
): Tensor {
  const shape = x.type.shape;
  const d = shape[shape.length - 1]!;
  invariant(g.data.length === d && (!b || b.data.length === d), "norm gain/bias must match the last axis");
  const rows = x.data.length / d;
  const data = allocate(out);
  const round = rounder(out.dtype);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    if (centre) {
      for (let i = 0; i < d; i++) mean += x.data[base + i];
      mean /= d;
    }
    let sq = 0;
    for (let i = 0; i < d; i++) {
      const c = x.data[base + i] - mean;
      sq += c * c;
    }
    const inv = 1 / Math.sqrt(sq / d + eps);
    for (let i = 0; i < d; i++) {
      const y = (x.data[base + i] - mean) * inv * g.data[i];
      data[base + i] = round(b ? y + b.data[i] : y);
    }
  }
  return { type: out, data };
}
