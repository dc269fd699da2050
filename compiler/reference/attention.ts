// Attention over a KV cache with grouped-query heads and a causal mask, and rotary position embedding (rope).
// Attention keeps its intermediates (scores, probabilities) in fp32/fp64 and rounds only its result to the output
// dtype; it reads the caches and never writes them (the interpreter mutates nothing).

import { invariant } from "../../util/assert.ts";
import type { TensorType } from "../graph/ir.ts";
import { dotF32 } from "./linear.ts";
import { softmaxRow } from "./norm.ts";
import { allocate, formatShape, rounder, type Tensor } from "./tensor.ts";

/**
 * q: [B, S, H, Dh]; k, v: [B, S, KVH, Dh]; optional caches [B, C, KVH, Dh]. Key j < C is cached token j, key C + s
 * is new token s; query i sits at position C + i and, when causal, sees keys 0..C+i. Query head h reads kv head
 * floor(h / (H / KVH)). Scores q.k are fp32-accumulated, times `scale`, softmaxed in fp64, rounded to fp32; the
 * output is the fp32-accumulated sum of p_j * v_j, rounded to the output dtype.
 */
export function attention(
  out: TensorType,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  kCache: Tensor | undefined,
  vCache: Tensor | undefined,
  causal: boolean,
  scale: number,
): Tensor {
  const [bq, s, h, dh] = q.type.shape as [number, number, number, number];
  const kvh = k.type.shape[2]!;
  invariant(h % kvh === 0, `attention: ${h} query heads do not group over ${kvh} kv heads`);
  invariant((kCache === undefined) === (vCache === undefined), "attention needs both caches or neither");
  const c = kCache ? kCache.type.shape[1]! : 0;
  invariant(
    !kCache || (kCache.type.shape[2] === kvh && kCache.type.shape[3] === dh),
    `attention: cache ${formatShape(kCache?.type.shape ?? [])} does not match k ${formatShape(k.type.shape)}`,
  );
  const group = h / kvh;
  const keys = c + s;
  const data = allocate(out);
  const round = rounder(out.dtype);
  const p = new Float64Array(keys);
  const acc = new Float64Array(dh);
  // Where key j of batch b, kv head g starts: in the cache for j < C, else in the new k/v.
  const keyAt = (src: "k" | "v", b: number, j: number, g: number): [Float32Array | Int32Array, number] => {
    if (j < c) return [(src === "k" ? kCache : vCache)!.data, ((b * c + j) * kvh + g) * dh];
    return [(src === "k" ? k : v).data, ((b * s + (j - c)) * kvh + g) * dh];
  };
  for (let b = 0; b < bq; b++) {
    for (let i = 0; i < s; i++) {
      const visible = causal ? c + i + 1 : keys;
      for (let hh = 0; hh < h; hh++) {
        const g = Math.floor(hh / group);
        const qo = ((b * s + i) * h + hh) * dh;
        for (let j = 0; j < visible; j++) {
          const [kd, ko] = keyAt("k", b, j, g);
          p[j] = Math.fround(dotF32(q.data, qo, kd, ko, dh) * scale);
        }
        softmaxRow(p, visible);
        acc.fill(0);
        for (let j = 0; j < visible; j++) {
          const pj = Math.fround(p[j]);
          const [vd, vo] = keyAt("v", b, j, g);
          for (let t = 0; t < dh; t++) acc[t] = Math.fround(acc[t] + pj * vd[vo + t]);
        }
        for (let t = 0; t < dh; t++) data[qo + t] = round(acc[t]);
      }
    }
  }
  return { type: out, data };
}

/**
 * Rotate-half rope on x: [B, S, H, Dh]: pairs (i, i + Dh/2) for i < Dh/2 rotate by angle p * base^(-2i/Dh) with
 * p = start + s. out[i] = x[i] cos - x[i + Dh/2] sin, out[i + Dh/2] = x[i + Dh/2] cos + x[i] sin. Angles in fp64.
 */
export function rope(out: TensorType, x: Tensor, start: number, base: number): Tensor {
  const [bn, s, h, dh] = x.type.shape as [number, number, number, number];
  invariant(dh % 2 === 0, `rope needs an even head dim, got ${dh}`);
  const half = dh / 2;
  const data = allocate(out);
  const round = rounder(out.dtype);
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let si = 0; si < s; si++) {
    const pos = start + si;
    for (let i = 0; i < half; i++) {
      const angle = pos * base ** ((-2 * i) / dh);
      cos[i] = Math.cos(angle);
      sin[i] = Math.sin(angle);
    }
    for (let b = 0; b < bn; b++) {
      for (let hh = 0; hh < h; hh++) {
        const o = ((b * s + si) * h + hh) * dh;
        for (let i = 0; i < half; i++) {
          const x1 = x.data[o + i];
          const x2 = x.data[o + half + i];
          data[o + i] = round(x1 * cos[i] - x2 * sin[i]);
          data[o + half + i] = round(x2 * cos[i] + x1 * sin[i]);
        }
      }
    }
  }
  return { type: out, data };
}
