// Dense tensors for the reference interpreter: a type plus row-major data, and the shape arithmetic every kernel
// shares (strides, numpy broadcasting, axis normalisation, rounding to a dtype).
// Guarantee: a Tensor's data always holds values already rounded to its dtype (floats in a Float32Array, int8 and
// int32 in an Int32Array), so two tensors of the same type compare bit for bit.

import { invariant } from "../../util/assert.ts";
import { roundBf16, roundF16, roundFp8E4M3, saturate } from "../../util/numeric.ts";
import { type DType, numElements, type Shape, type TensorType } from "../graph/ir.ts";

export type TensorData = Float32Array | Int32Array;

export interface Tensor {
  readonly type: TensorType;
  readonly data: TensorData;
}

export function isIntegerDType(d: DType): boolean {
  return d === "int8" || d === "int32";
}

/** Fresh zeroed storage for a type: Int32Array for integer dtypes, Float32Array for the others. */
export function allocate(t: TensorType): TensorData {
  const n = numElements(t.shape);
  return isIntegerDType(t.dtype) ? new Int32Array(n) : new Float32Array(n);
}

/**
 * The rounding from a real number to what `dtype` can hold. Floats go through fp32 first, as docs/language.md says
 * ("arithmetic is done in fp32 and the result rounded to the output dtype"), so fp16/bf16/fp8 results are the
 * double rounding fp64 -> fp32 -> narrow that fp32 hardware would do. Integers round half to even and saturate
 * (a cast to int rounds; it does not truncate as numpy's astype does).
 */
export function rounder(dtype: DType): (x: number) => number {
  switch (dtype) {
    case "fp32":
      return Math.fround;
    case "fp16":
      return roundF16Fast;
    case "bf16":
      return roundBf16;
    case "fp8":
      return (x) => roundFp8E4M3(Math.fround(x));
    case "int8":
      return (x) => saturate(x, -128, 127);
    case "int32":
      return (x) => saturate(x, -2147483648, 2147483647);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * util/numeric.ts's roundF16, bit for bit (a test checks it), about 5x faster where it matters: values whose fp32
 * exponent is in fp16's normal range [2^-14, 2^15] round by integer arithmetic on the fp32 bits (add half an fp16 ulp
 * minus one plus the lowest kept bit, for ties to even, then clear the 13 dropped bits); others take the slow path.
 */
export function roundF16Fast(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const exp = (b >>> 23) & 0xff;
  if (exp < 113 || exp > 142) return roundF16(x);
  const r = ((b + 0xfff + ((b >>> 13) & 1)) & ~0x1fff) >>> 0;
  // A carry out of the largest fp16 exponent (2^15 * (2 - 2^-11) and up) overflows to infinity, as in fp16.
  if (((r >>> 23) & 0xff) > 142) return b >>> 31 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  u32[0] = r;
  return f32[0]!;
}

/** Builds a tensor from real values, rounding each to the dtype. */
export function fromValues(type: TensorType, values: ArrayLike<number>): Tensor {
  const data = allocate(type);
  invariant(
    values.length === data.length,
    `tensor of ${formatShape(type.shape)} given ${values.length} values`,
  );
  const round = rounder(type.dtype);
  for (let i = 0; i < data.length; i++) data[i] = round(values[i]!);
  return { type, data };
}

/** Applies `f` to every element and rounds the result to `type`'s dtype. */
export function mapTo(type: TensorType, x: Tensor, f: (v: number) => number): Tensor {
  invariant(numElements(type.shape) === x.data.length, "elementwise op changes the element count");
  const data = allocate(type);
  const round = rounder(type.dtype);
  for (let i = 0; i < data.length; i++) data[i] = round(f(x.data[i]!));
  return { type, data };
}

export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `shape` seen through `outShape` under numpy broadcasting: stretched (size-1 or missing) dims get 0. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = strides(shape);
  const lead = outShape.length - shape.length;
  invariant(lead >= 0, `cannot broadcast ${formatShape(shape)} to ${formatShape(outShape)}`);
  return outShape.map((d, i) => {
    if (i < lead) return 0;
    const sd = shape[i - lead]!;
    invariant(sd === d || sd === 1, `cannot broadcast ${formatShape(shape)} to ${formatShape(outShape)}`);
    return sd === 1 && d !== 1 ? 0 : own[i - lead]!;
  });
}

/**
 * Calls `visit(outIndex, offsets)` for every element of `outShape` in row-major order, where offsets[j] is the flat
 * index into operand j (given by its broadcast strides). One odometer for all operands keeps this O(elements).
 */
export function forEachBroadcast(
  outShape: Shape,
  operandStrides: readonly (readonly number[])[],
  visit: (outIndex: number, offsets: readonly number[]) => void,
): void {
  const n = numElements(outShape);
  const rank = outShape.length;
  const counter = new Array<number>(rank).fill(0);
  const offsets = operandStrides.map(() => 0);
  for (let i = 0; i < n; i++) {
    visit(i, offsets);
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]++;
      for (let j = 0; j < offsets.length; j++) offsets[j] += operandStrides[j][ax];
      if (counter[ax] < outShape[ax]) break;
      for (let j = 0; j < offsets.length; j++) offsets[j] -= operandStrides[j][ax] * outShape[ax];
      counter[ax] = 0;
    }
  }
}

/** A possibly negative axis (-1 = last) as an index in [0, rank). */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  invariant(a >= 0 && a < rank, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Splits a shape around `axis` into (outer, size, inner) element counts, for kernels that work along one axis. */
export function aroundAxis(shape: Shape, axis: number): { outer: number; size: number; inner: number } {
  return {
    outer: numElements(shape.slice(0, axis)),
    size: shape[axis]!,
    inner: numElements(shape.slice(axis + 1)),
  };
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}
