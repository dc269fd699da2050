// attention(q, k, v[, k_cache, v_cache]) as kernel ops, per batch and query head, with heads as lane ranges of a
// row (q: rows B*S of H*Dh lanes; k, v, caches: rows of KVH*Dh lanes). Keys of batch b (C cached rows, then the S
// new ones) are copied into one tensor that the MXM takes as weight rows, so q . k_j lands in lane j; V is
// transposed on the MXM (identity activations against the value rows) so p . V is one more product.
// The new k, v rows are not written back to the cache: the interpreter does not either (one pass is one run).
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, LANES, tilesOf } from "./kernel-builder.ts";
import type { RowRange } from "./kernel-ir.ts";
import { laneMask, moveLanes } from "./lower-lanes.ts";
import { finish, softmax32 } from "./lower-reduce.ts";

export interface AttentionShape {
  readonly batch: number;
  readonly seq: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Cached tokens (0 without a cache). */
  readonly ctx: number;
}

/** The kernel tensors: q [B*S, H*Dh]; k, v [B*S, KVH*Dh]; caches [B*C, KVH*Dh] (or undefined). */
export interface AttentionOperands {
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly kCache?: string;
  readonly vCache?: string;
}

export function lowerAttention(
  kb: KernelBuilder,
  outId: string,
  outDtype: DType,
  x: AttentionOperands,
  s: AttentionShape,
  causal: boolean,
  scale: number,
): void {
  const at = outId;
  const { batch: B, seq: S, heads: H, kvHeads: KVH, headDim: Dh, ctx: C } = s;
  const keys = C + S;
  const group = H / KVH;
  const qType = kb.get(x.q).dtype;
  const vType = kb.get(x.v).dtype;
  const rowsOf = (cache: string | undefined, fresh: string, b: number): RowRange[] => [
    ...(cache && C > 0 ? [{ x: cache, row0: b * C, n: C }] : []),
    { x: fresh, row0: b * S, n: S },
  ];
  // Causal with several queries: key j is visible to query i when j <= C + i; min with +inf keeps, -inf drops.
  const cap =
    causal && S > 1
      ? kb.constant(`causal.fp32.${S}x${keys}`, "fp32", S, keys, (i, j) =>
          j <= C + i ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
        )
      : undefined;
  const perBatch: string[] = [];
  for (let b = 0; b < B; b++) {
    const kRows = kb.copyRows(kb.fresh(at), rowsOf(x.kCache, x.k, b));
    const vRows = kb.copyRows(kb.fresh(at), rowsOf(x.vCache, x.v, b));
    // vT[c, j] = v_j[c]: the identity as activations against the value rows as weights, one 320-row band of the
    // identity at a time (a band is nonzero in one column tile only, so each band is one K tile, not all of them).
    const width = KVH * Dh;
    const bands: RowRange[] = [];
    for (let r0 = 0; r0 < width; r0 += LANES) {
      const n = Math.min(LANES, width - r0);
      const eye = kb.constant(`eye.${vType}.${width}.${r0}+${n}`, vType, n, width, (r, c) =>
        c === r0 + r ? 1 : 0,
      );
      bands.push({ x: kb.matmul(kb.fresh(at), eye, vRows, vType, keys, tilesOf(r0, n)), row0: 0, n });
    }
    const vT = bands.length === 1 ? bands[0]!.x : kb.copyRows(kb.fresh(at), bands);
    const qb = B > 1 ? kb.copyRows(kb.fresh(at), [{ x: x.q, row0: b * S, n: S }]) : x.q;
    let sum: string | undefined;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      // Query head h, in kv head g's lanes, every other lane exactly 0 (padding included).
      const qh =
        group === 1
          ? kb.binary(kb.fresh(at), "mul", qb, laneMask(kb, qType, H * Dh, h * Dh, Dh))
          : moveLanes(kb, kb.fresh(at), qb, h * Dh, Dh, g * Dh, KVH * Dh);
      // Only the tiles holding kv head g's lanes can be nonzero in qh.
      const product = kb.matmul(kb.fresh(at), qh, kRows, "fp32", keys, tilesOf(g * Dh, Dh));
      let scores = kb.imm(kb.fresh(at), "mul", product, scale);
      if (cap) scores = kb.binary(kb.fresh(at), "min", scores, cap);
      const p = kb.convert(kb.fresh(at), softmax32(kb, at, scores), vType);
      // p . V^T gives every lane of kv head g's values weighted by head h's probabilities; keep g's lanes.
      let o = kb.binary(
        kb.fresh(at),
        "mul",
        kb.matmul(kb.fresh(at), p, vT, outDtype),
        laneMask(kb, outDtype, KVH * Dh, g * Dh, Dh),
      );
      if (group > 1) o = moveLanes(kb, kb.fresh(at), o, g * Dh, Dh, h * Dh, H * Dh);
      // Heads own disjoint lanes and are exactly 0 elsewhere, so these adds are exact.
      sum = sum === undefined ? o : kb.binary(kb.fresh(at), "add", sum, o);
    }
    perBatch.push(sum!);
  }
  const all =
    B > 1
      ? kb.copyRows(
          kb.fresh(at),
          perBatch.map((t) => ({ x: t, row0: 0, n: S })),
        )
      : perBatch[0]!;
  finish(kb, outId, all, outDtype);
}
