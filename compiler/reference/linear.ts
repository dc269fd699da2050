// Matrix products. Float operands accumulate in fp32 in ascending k order, one rounding per multiply-add (the
// product of two fp32 values is exact in fp64, so Math.fround(acc + a * b) is a true fused multiply-add); integer
// operands (int8) accumulate in int32 with two's-complement wraparound. The sum is then rounded to the output dtype.

import { invariant } from "../../util/assert.ts";
import type { TensorType } from "../graph/ir.ts";
import {
  allocate,
  broadcastStrides,
  forEachBroadcast,
  formatShape,
  isIntegerDType,
  rounder,
  type Tensor,
} from "./tensor.ts";

/** `a: [..., M, K]` times `b: [..., K, N]` (or `[..., N, K]` with transposeB) -> `[..., M, N]`; batch dims broadcast. */
export function matmul(out: TensorType, a: Tensor, b: Tensor, transposeB: boolean): Tensor {
  const as = a.type.shape;
  const bs = b.type.shape;
  invariant(as.length >= 2 && bs.length >= 2, "matmul operands need rank >= 2");
  const m = as[as.length - 2]!;
  const k = as[as.length - 1]!;
  const n = transposeB ? bs[bs.length - 2]! : bs[bs.length - 1]!;
  const kb = transposeB ? bs[bs.length - 1]! : bs[bs.length - 2]!;
  invariant(k === kb, `matmul inner dims differ: ${formatShape(as)} x ${formatShape(bs)}`);
  const batchShape = out.shape.slice(0, -2);
  invariant(
    out.shape[out.shape.length - 2] === m && out.shape[out.shape.length - 1] === n,
    "matmul out shape",
  );
  // Batch offsets in matrices: broadcast strides over the batch dims, scaled by each operand's matrix size.
  const sa = broadcastStrides(as.slice(0, -2), batchShape).map((s) => s * m * k);
  const sb = broadcastStrides(bs.slice(0, -2), batchShape).map((s) => s * k * n);
  const data = allocate(out);
  const round = rounder(out.dtype);
  const integer = isIntegerDType(a.type.dtype) && isIntegerDType(b.type.dtype);
  const acc = new Float64Array(n);
  const iacc = new Int32Array(n);
  forEachBroadcast(batchShape, [sa, sb], (batch, [oa, ob]) => {
    const oo = batch * m * n;
    for (let i = 0; i < m; i++) {
      const arow = oa! + i * k;
      if (integer) {
        iacc.fill(0);
        matRowInt(a.data, arow, b.data, ob!, k, n, transposeB, iacc);
        for (let j = 0; j < n; j++) data[oo + i * n + j] = round(iacc[j]);
      } else {
        acc.fill(0);
        matRowF32(a.data, arow, b.data, ob!, k, n, transposeB, acc);
        for (let j = 0; j < n; j++) data[oo + i * n + j] = round(acc[j]);
      }
    }
  });
  return { type: out, data };
}

/**
 * acc[j] += sum_k a[arow + k] * B[k, j] in fp32, k ascending. B starts at `boff` and is [K, N] row-major, or [N, K]
 * when `transposeB`. Shared with attention and moe so every matrix product in the reference rounds alike.
 */
export function matRowF32(
  a: ArrayLike<number>,
  arow: number,
  b: ArrayLike<number>,
  boff: number,
  k: number,
  n: number,
  transposeB: boolean,
  acc: Float64Array,
): void {
  if (transposeB) {
    for (let j = 0; j < n; j++) {
      let s = acc[j];
      const brow = boff + j * k;
      for (let t = 0; t < k; t++) s = Math.fround(s + a[arow + t] * b[brow + t]);
      acc[j] = s;
    }
    return;
  }
  for (let t = 0; t < k; t++) {
    const av = a[arow + t];
    const brow = boff + t * n;
    for (let j = 0; j < n; j++) acc[j] = Math.fround(acc[j] + av * b[brow + j]);
  }
}

function matRowInt(
  a: ArrayLike<number>,
  arow: number,
  b: ArrayLike<number>,
  boff: number,
  k: number,
  n: number,
  transposeB: boolean,
  acc: Int32Array,
): void {
  for (let t = 0; t < k; t++) {
    const av = a[arow + t];
    for (let j = 0; j < n; j++) {
      const bv = transposeB ? b[boff + j * k + t] : b[boff + t * n + j];
      acc[j] = (acc[j] + Math.imul(av, bv)) | 0;
    }
  }
}

/** fp32-accumulated dot product of two length-`k` runs, k ascending. */
export function dotF32(
  a: ArrayLike<number>,
  ao: number,
  b: ArrayLike<number>,
  bo: number,
  k: number,
): number {
  let s = 0;
  for (let t = 0; t < k; t++) s = Math.fround(s + a[ao + t] * b[bo + t]);
  return s;
}
