// Mixture-of-experts routing: topk along the last axis (ties pick the lower index) and the moe expert sum.
// moe keeps its per-expert intermediates in fp32 and rounds only the final sum to the output dtype.

import { invariant } from "../../util/assert.ts";
import type { TensorType } from "../graph/ir.ts";
import { geluTanh, silu } from "./elementwise.ts";
import { matRowF32 } from "./linear.ts";
import { allocate, rounder, type Tensor } from "./tensor.ts";

/**
 * The k largest entries of each last-axis row, largest first, and their int32 indices. Equal values keep index
 * order, so a tie picks the lower index. NaN ranks below every number (an assumption: the language leaves it open).
 */
export function topk(outs: readonly TensorType[], x: Tensor, k: number): [Tensor, Tensor] {
  const [vt, it] = outs as [TensorType, TensorType];
  const shape = x.type.shape;
  const n = shape[shape.length - 1]!;
  invariant(k >= 1 && k <= n, `topk k=${k} outside [1, ${n}]`);
  const rows = x.data.length / n;
  const values = allocate(vt);
  const indices = allocate(it);
  const round = rounder(vt.dtype);
  const order = new Array<number>(n);
  const key = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let i = 0; i < n; i++) order[i] = i;
    // Array.prototype.sort is stable (ES2019), and the index tie-break makes the order total anyway.
    order.sort((a, b) => {
      const va = key(x.data[base + a]);
      const vb = key(x.data[base + b]);
      if (va !== vb) return va > vb ? -1 : 1;
      const na = Number.isNaN(x.data[base + a]) ? 1 : 0;
      const nb = Number.isNaN(x.data[base + b]) ? 1 : 0;
      return na - nb || a - b;
    });
    for (let j = 0; j < k; j++) {
      values[r * k + j] = round(x.data[base + order[j]!]);
      indices[r * k + j] = order[j]!;
    }
  }
  return [
    { type: vt, data: values },
    { type: it, data: indices },
  ];
}

/**
 * x: [B, S, D], w: [B, S, k], idx: int32[B, S, k], wGate, wUp: [E, D, F], wDown: [E, F, D] -> [B, S, D]:
 * y = sum_j w[j] * ((act(x @ wGate[e]) * (x @ wUp[e])) @ wDown[e]) with e = idx[j], summed in j order in fp32.
 */
export function moe(
  out: TensorType,
  x: Tensor,
  w: Tensor,
  idx: Tensor,
  wGate: Tensor,
  wUp: Tensor,
  wDown: Tensor,
  activation: "silu" | "gelu",
  where: string,
): Tensor {
  const d = x.type.shape[2]!;
  const k = w.type.shape[2]!;
  const [e, , f] = wGate.type.shape as [number, number, number];
  const act = activation === "silu" ? silu : geluTanh;
  const tokens = x.data.length / d;
  const data = allocate(out);
  const round = rounder(out.dtype);
  const gate = new Float64Array(f);
  const up = new Float64Array(f);
  const hidden = new Float64Array(f);
  const down = new Float64Array(d);
  const y = new Float64Array(d);
  for (let t = 0; t < tokens; t++) {
    y.fill(0);
    for (let j = 0; j < k; j++) {
      const ex = idx.data[t * k + j]!;
      if (!(ex >= 0 && ex < e)) throw new RangeError(`${where}: expert index ${ex} is outside [0, ${e})`);
      gate.fill(0);
      up.fill(0);
      matRowF32(x.data, t * d, wGate.data, ex * d * f, d, f, false, gate);
      matRowF32(x.data, t * d, wUp.data, ex * d * f, d, f, false, up);
      for (let i = 0; i < f; i++) hidden[i] = Math.fround(Math.fround(act(gate[i])) * up[i]);
      down.fill(0);
      matRowF32(hidden, 0, wDown.data, ex * f * d, f, d, false, down);
      const wj = w.data[t * k + j]!;
      for (let i = 0; i < d; i++) y[i] = Math.fround(y[i] + wj * down[i]);
    }
    for (let i = 0; i < d; i++) data[t * d + i] = round(y[i]);
  }
  return { type: out, data };
}
