// Data movement: reshape, transpose, concat, split and embedding lookup. No arithmetic, so values pass through
// bit for bit (re-rounded to the output dtype, which is the input's dtype for all of these but embedding's table).

import { invariant } from "../../util/assert.ts";
import type { TensorType } from "../graph/ir.ts";
import {
  allocate,
  aroundAxis,
  forEachBroadcast,
  normalizeAxis,
  rounder,
  strides,
  type Tensor,
} from "./tensor.ts";

/** Same elements in the same row-major order; the graph already resolved any `-1` into `out.shape`. */
export function reshape(out: TensorType, x: Tensor): Tensor {
  const data = allocate(out);
  invariant(data.length === x.data.length, "reshape changes the element count");
  const round = rounder(out.dtype);
  for (let i = 0; i < data.length; i++) data[i] = round(x.data[i]);
  return { type: out, data };
}

/** out[i_0, ..., i_n] = x[...] with out axis j being input axis perm[j]. */
export function transpose(out: TensorType, x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.type.shape.length;
  invariant(perm.length === rank, "transpose perm must name every axis");
  const xs = strides(x.type.shape);
  // Reading x with its strides permuted walks it in the output's row-major order.
  const permuted = perm.map((p) => xs[normalizeAxis(p, rank)]!);
  const data = allocate(out);
  const round = rounder(out.dtype);
  forEachBroadcast(out.shape, [permuted], (i, [src]) => {
    data[i] = round(x.data[src!]);
  });
  return { type: out, data };
}

export function concat(out: TensorType, parts: readonly Tensor[], axis: number): Tensor {
  const ax = normalizeAxis(axis, out.shape.length);
  const { outer, size, inner } = aroundAxis(out.shape, ax);
  const data = allocate(out);
  const round = rounder(out.dtype);
  let at = 0;
  for (const p of parts) {
    const ps = p.type.shape[ax]!;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < ps * inner; j++)
        data[(o * size + at) * inner + j] = round(p.data[o * ps * inner + j]);
    }
    at += ps;
  }
  invariant(at === size, "concat parts do not fill the axis");
  return { type: out, data };
}

export function split(
  outs: readonly TensorType[],
  x: Tensor,
  axis: number,
  sizes: readonly number[],
): Tensor[] {
  const ax = normalizeAxis(axis, x.type.shape.length);
  const { outer, size, inner } = aroundAxis(x.type.shape, ax);
  invariant(outs.length === sizes.length, "split needs one result per size");
  let at = 0;
  return outs.map((t, r) => {
    const ps = sizes[r]!;
    const data = allocate(t);
    const round = rounder(t.dtype);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < ps * inner; j++)
        data[o * ps * inner + j] = round(x.data[(o * size + at) * inner + j]);
    }
    at += ps;
    return { type: t, data };
  });
}

/** `ids: int32[B, S]`, `table: [V, D]` -> `[B, S, D]`: row ids[b, s] of the table. An id outside [0, V) throws. */
export function embedding(out: TensorType, ids: Tensor, table: Tensor, where: string): Tensor {
  const [v, d] = table.type.shape as [number, number];
  const data = allocate(out);
  const round = rounder(out.dtype);
  for (let t = 0; t < ids.data.length; t++) {
    const id = ids.data[t]!;
    if (!(id >= 0 && id < v)) {
      throw new RangeError(`${where}: embedding id ${id} at position ${t} is outside [0, ${v})`);
    }
    for (let j = 0; j < d; j++) data[t * d + j] = round(table.data[id * d + j]);
  }
  return { type: out, data };
}
