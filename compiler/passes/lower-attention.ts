// attention(q, k, v[, k_cache, v_cache]) as kernel ops, per batch and query head, with heads as lane ranges of a
// row (q: rows B*S of H*Dh lanes; k, v, key cache: rows of KVH*Dh lanes). The MXM takes keys as weight rows, so
// q . k_j lands in lane j: the cached keys as they are stored and the new ones separately (no copy of the cache),
// each part's scores exp'd and divided by one sum over both parts. The value cache is stored transposed (one row
// per lane, [KVH*Dh, C] per batch), so p . V over the cached keys is one product with no transposition; the new
// values are transposed on the MXM (identity activations, exact); the two parts' products are added in fp32.
// The new k, v rows are not written back to the cache: the interpreter does not either (one pass is one run).
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, tilesOf } from "./kernel-builder.ts";
import type { WeightLayout } from "./kernel-ir.ts";
import { decodeSoftmax, oneKeyValues } from "./lower-attention-decode.ts";
import { laneMask, moveLanes } from "./lower-lanes.ts";
import { transposeLast2 } from "./lower-layout.ts";
import { finish, softmaxParts } from "./lower-reduce.ts";
import { type RopeAt, ropeHeads } from "./lower-rope.ts";

export interface AttentionShape {
  readonly batch: number;
  readonly seq: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Cached tokens (0 without a cache). */
  readonly ctx: number;
}

/** The kernel tensors: q [B*S, H*Dh]; k, v [B*S, KVH*Dh]; the key cache [B*C, KVH*Dh] and the value cache
 * transposed per batch, [B*KVH*Dh, C] (or undefined without a cache). */
export interface AttentionOperands {
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly kCache?: string;
  readonly vCacheT?: string;
  /** q is not yet roped: rope each kv head's stacked query heads where they are used (decompose-ops.ts `ropedQ`).
   * Rope acts within a head and the stacking moves whole heads, so roping after the move gives the same values;
   * the roped row is never made whole on one chip and copied to the heads' chips. */
  readonly qRope?: RopeAt;
}

/** Rows row0.. of x (n of them) as a tensor: x itself when that is all of it; of a stored source (one batch's rows
 * of a KV cache), a source of its own that holds them (`sourceRows`), not a copy: a copy of batch b's cache read
 * and wrote all of its C rows before any score (llama2-7b, one layer, batch 2: 644,222 cycles against 15,592 at
 * batch 1, 98% of it the bound's SRAM traffic of the copies). */
function rowsOf(kb: KernelBuilder, at: string, x: string, row0: number, n: number): string {
  const t = kb.get(x);
  if (row0 === 0 && n === t.rows) return x;
  if (t.role !== "temp" && t.source && !t.source.rows)
    return kb.sourceRows(`${x}.rows${row0}+${n}`, x, row0, n);
  return kb.copyRows(kb.fresh(at), [{ x, row0, n }]);
}

/** The heads' outputs added as they come, as a binary counter: two sums of as many heads merge as soon as both
 * exist, so the depth is log2 of the heads and a sum's inputs are neighbouring heads (spread places ops in list
 * order, so they are mostly on one chip). A running sum was a chain of H adds, each a link round trip when
 * consecutive heads sat on different chips: llama3-8b's 32 heads took about 5,000 cycles after the last head.
 * Heads own disjoint lanes and are exactly 0 elsewhere, so every order of the adds is exact. */
function headSum(kb: KernelBuilder, at: string): { add(head: string): void; total(): string } {
  const stack: { sum: string; level: number }[] = [];
  return {
    add(head) {
      let top = { sum: head, level: 0 };
      while (stack.length > 0 && stack[stack.length - 1]!.level === top.level) {
        const a = stack.pop()!;
        top = { sum: kb.binary(kb.fresh(at), "add", a.sum, top.sum), level: top.level + 1 };
      }
      stack.push(top);
    },
    total() {
      while (stack.length > 1) {
        const b = stack.pop()!;
        const a = stack.pop()!;
        stack.push({ sum: kb.binary(kb.fresh(at), "add", a.sum, b.sum), level: b.level + 1 });
      }
      return stack[0]!.sum;
    },
  };
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
  const group = H / KVH;
  const width = KVH * Dh;
  const cached = x.kCache !== undefined && x.vCacheT !== undefined && C > 0;
  // Causal with several queries: new key i' is visible to query i when i' <= i (every cached key is visible);
  // min with +inf keeps, -inf drops.
  // The query heads of one kv head are stacked as rows (head g*group + r in rows r*S ..), so each product with
  // the group's keys and values loads their weight tiles once for the group, not once per query head.
  const rows = group * S;
  const cap =
    causal && S > 1
      ? kb.constant(`causal.fp32.${group > 1 ? `${group}x` : ""}${S}x${S}`, "fp32", rows, S, (i, j) =>
          j <= i % S ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
        )
      : undefined;
  const perBatch: string[] = [];
  for (let b = 0; b < B; b++) {
    // The cached keys are weight rows as they are stored; the values are stored transposed (one row per lane), so
    // p @ V takes them as they are. The new values are transposed on the MXM (identity activations, exact).
    const kc = cached ? rowsOf(kb, at, x.kCache!, b * C, C) : undefined;
    const vTc = cached ? rowsOf(kb, at, x.vCacheT!, b * width, width) : undefined;
    const kn = rowsOf(kb, at, x.k, b * S, S);
    const vn = rowsOf(kb, at, x.v, b * S, S);
    // p . v over the new keys. Prefill: the new values transposed on the MXM, taken as weight rows. Decode (one new
    // key): VXM ops on v's row (lower-attention-decode.ts): the transposed row would be `width` vectors of one
    // lane each, sent over the links to every chip that holds a head; the row is ceil(width / 320) vectors.
    const vTn = S > 1 ? transposeLast2(kb, at, vn, 1, S) : undefined;
    const q = rowsOf(kb, at, x.q, b * S, S);
    const batch: BatchOperands = { q, kc, vTc, kn, vn, vTn, cap, ...(x.qRope ? { qRope: x.qRope } : {}) };
    const heads = headSum(kb, at);
    for (let g = 0; g < KVH; g++) {
      // One key (decode without a cache): its softmax is exactly 1 (the interpreter's exp(0) / 1), so each query
      // head's output is v's row; no scores.
      const o =
        !cached && S === 1 ? oneKeyValues(kb, at, vn, group, width) : groupValues(kb, at, batch, s, g, scale);
      // p . V^T gives every lane of kv head g's values weighted by each head's probabilities; keep g's lanes.
      const og = kb.convert(
        kb.fresh(at),
        kb.binary(kb.fresh(at), "mul", o, laneMask(kb, "fp32", width, g * Dh, Dh)),
        outDtype,
      );
      if (group === 1) heads.add(og);
      else
        for (let r = 0; r < group; r++) {
          const h = g * group + r;
          heads.add(moveLanes(kb, kb.fresh(at), rowsOf(kb, at, og, r * S, S), g * Dh, Dh, h * Dh, H * Dh));
        }
    }
    perBatch.push(heads.total());
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

/** One batch row's operands: its queries, the cached keys and transposed values (if any), the new keys and
 * values (and the new values transposed, for a prefill), the causal cap (a prefill's). */
interface BatchOperands {
  readonly q: string;
  readonly kc?: string;
  readonly vTc?: string;
  readonly kn: string;
  readonly vn: string;
  readonly vTn?: string;
  readonly cap?: string;
  readonly qRope?: RopeAt;
}

/** Kv head g's stacked query heads' p . V, fp32 [group * S, KVH * Dh], exact in g's lanes only. */
function groupValues(
  kb: KernelBuilder,
  at: string,
  x: BatchOperands,
  s: AttentionShape,
  g: number,
  scale: number,
): string {
  const { seq: S, heads: H, kvHeads: KVH, headDim: Dh, ctx: C } = s;
  const group = H / KVH;
  const width = KVH * Dh;
  const vType = kb.get(x.vn).dtype;
  // p . V^T: only the output tiles holding g's lanes, and of their weight rows only g's (the rest is masked off by
  // the caller): a head's load takes its Dh rows of V^T, not the 320 of the tile it shares with other heads.
  const headTiles: WeightLayout = {
    kind: "window",
    nTiles: tilesOf(g * Dh, Dh),
    lanes: [g * Dh, (g + 1) * Dh],
  };
  // Query heads g*group .., in kv head g's lanes, every other lane exactly 0 (padding included), one above the
  // other.
  const stacked =
    group === 1
      ? kb.binary(kb.fresh(at), "mul", x.q, laneMask(kb, kb.get(x.q).dtype, H * Dh, g * Dh, Dh))
      : kb.copyRows(
          kb.fresh(at),
          Array.from({ length: group }, (_, r) => ({
            x: moveLanes(kb, kb.fresh(at), x.q, (g * group + r) * Dh, Dh, g * Dh, width),
            row0: 0,
            n: S,
          })),
        );
  const qType = kb.get(x.q).dtype;
  const qg = x.qRope ? ropeHeads(kb, at, stacked, g * Dh, Dh, x.qRope, qType) : stacked;
  // Scores against the cached keys and against the new ones, over the tiles holding g's lanes only.
  const scores = (keys: string, n: number) =>
    kb.imm(kb.fresh(at), "mul", kb.matmul(kb.fresh(at), qg, keys, "fp32", n, tilesOf(g * Dh, Dh)), scale);
  let sn = scores(x.kn, S);
  if (x.cap) sn = kb.binary(kb.fresh(at), "min", sn, x.cap);
  const cachedValues = (p16: string) =>
    kb.matmul(kb.fresh(at), p16, x.vTc!, "fp32", width, undefined, headTiles);
  if (!x.vTn) {
    // Decode: one denominator for both parts, the new key's p . v on the VXM (lower-attention-decode.ts).
    const d = decodeSoftmax(kb, at, x.kc ? scores(x.kc, C) : undefined, sn, x.vn, group, width);
    const pv = d.cachedProbs && cachedValues(kb.convert(kb.fresh(at), d.cachedProbs, vType));
    return pv ? kb.binary(kb.fresh(at), "add", pv, d.newValues()) : d.newValues();
  }
  const vTn = x.vTn;
  const newValues = (p16: string) => kb.matmul(kb.fresh(at), p16, vTn, "fp32", width, undefined, headTiles);
  const parts = [...(x.kc ? [{ s: scores(x.kc, C), pv: cachedValues }] : []), { s: sn, pv: newValues }];
  // softmax over both parts: their exps and one sum over both, which each part reads.
  const probs = softmaxParts(
    kb,
    at,
    parts.map((p) => p.s),
  );
  return parts
    .map((p, i) => p.pv(kb.convert(kb.fresh(at), probs(i), vType)))
    .reduce((o, pv) => kb.binary(kb.fresh(at), "add", o, pv));
}
