// rope(x) (rotate-half, pairs (i, i + Dh/2) within each head) as kernel ops: the rotation's lane movement is an MXM
// product with a signed 0/1 matrix (exact), and out = x * cos + rot(x) * sin in fp32 with cos/sin tables the
// compiler computes by running the reference interpreter's own rope on a unit input (so the angles are the same).
// Two forms: the whole row at once (`lowerRope`), and a few whole heads of stacked rows (`ropeHeads`: attention's
// query heads, roped where they are used; lower-attention.ts).
import type { DType } from "../graph/ir.ts";
import { rope } from "../reference/attention.ts";
import { type KernelBuilder, LANES, padded, tilesOf } from "./kernel-builder.ts";
import { finish } from "./lower-reduce.ts";

/** Where rows sit: row r is token r mod `seq`, at position start + (r mod seq); rotary base `base`. */
export interface RopeAt {
  readonly seq: number;
  readonly headDim: number;
  readonly start: number;
  readonly base: number;
}

/** rot[h*Dh + i] = -x[h*Dh + i + half] (i < half), rot[h*Dh + half + i] = x[h*Dh + i]: the input lane output lane
 * r (counted from a head boundary at lane 0) reads, and its sign. */
function rotated(r: number, Dh: number): { from: number; sign: number } {
  const half = Dh / 2;
  const i = r % Dh;
  return i < half ? { from: r + half, sign: -1 } : { from: r - half, sign: 1 };
}

/** fp32 y = x * cos + rot * sin over `rows` rows `width` wide (`rot`: x rotated, fp32), rounded to `outDtype` by
 * the caller (`finish`) or here (`round`). The tables depend on a lane's place in its head and a row's token only,
 * so every layout of whole heads at multiples of Dh shares them. */
function rotateAndMix(k: KernelBuilder, at: string, x: string, rot: string, p: RopeAt): string {
  const { seq: S, headDim: Dh, start, base } = p;
  const { rows, cols: w } = k.get(x);
  const half = Dh / 2;
  // The interpreter's rope of a vector with ones in the first half of each head: cos in the first half, sin in the
  // second, per position.
  const unit = new Float32Array(S * Dh);
  for (let s = 0; s < S; s++) for (let i = 0; i < half; i++) unit[s * Dh + i] = 1;
  const type = { dtype: "fp32" as const, shape: [1, S, 1, Dh] };
  const cs = rope(type, { type, data: unit }, start, base).data;
  const table = (name: string, offset: number) =>
    k.constant(`rope-${name}.${rows / S}x${S}x${w}.${Dh}.${start}.${base}`, "fp32", rows, w, (r, c) => {
      const i = (c % Dh) % half;
      return cs[(r % S) * Dh + offset + i]!;
    });
  const x32 = k.convert(k.fresh(at), x, "fp32");
  return k.binary(
    k.fresh(at),
    "add",
    k.binary(k.fresh(at), "mul", x32, table("cos", 0)),
    k.binary(k.fresh(at), "mul", rot, table("sin", half)),
  );
}

/** x: kernel tensor [B*S, H*Dh] (heads as lane ranges); tokens s sit at positions start + s. */
export function lowerRope(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  x: string,
  shape: { batch: number; seq: number; heads: number; headDim: number },
  start: number,
  base: number,
): void {
  const at = outId;
  const { seq: S, heads: H, headDim: Dh } = shape;
  const half = Dh / 2;
  const w = H * Dh;
  const t = k.get(x);
  // Output lane r reads input lane r +- half, at most `reach` tiles away, so the matrix is stored diagonal
  // (kernel-ir.ts): per output tile only the input tiles near it (llama2-70b: 16 MB instead of 138 MB for the full
  // 8192 x 8192).
  const reach = Math.ceil(half / LANES);
  const rotation = k.constant(
    `rotate-half.${t.dtype}.${w}.${Dh}`,
    t.dtype,
    padded(w),
    (2 * reach + 1) * LANES,
    (r, col) => {
      const c = (Math.floor(r / LANES) - reach) * LANES + col;
      if (r >= w || c < 0 || c >= w) return 0;
      const { from, sign } = rotated(r, Dh);
      return c === from ? sign : 0;
    },
  );
  const rot = k.matmul(k.fresh(at), x, rotation, "fp32", w, undefined, {
    kind: "diagonal",
    below: reach,
    above: reach,
  });
  finish(k, outId, rotateAndMix(k, at, x, rot, { seq: S, headDim: Dh, start, base }), outDtype);
}

/**
 * rope of x's heads at lanes first .. first + n - 1 (whole heads: first and n multiples of Dh), x [rows, width]
 * 16-bit and exactly 0 at every other lane, rounded to `outDtype`. The rotation stays inside those heads, so it is
 * a `band` product over their tiles only (1 or 2 for one head: the block of a selection matrix, lower-lanes.ts),
 * named by its offsets within the block so that heads at the same offsets mod 320 share it; the result is exactly
 * 0 outside those lanes (x and rot are), as lowerRope's would be after a lane mask. The same fp32 operations per
 * lane as lowerRope, so the same values.
 */
export function ropeHeads(
  k: KernelBuilder,
  at: string,
  x: string,
  first: number,
  n: number,
  p: RopeAt,
  outDtype: DType,
): string {
  const t = k.get(x);
  const [n0, n1] = tilesOf(first, n);
  const block = (n1 - n0) * LANES;
  const cols = Math.min(t.cols - n0 * LANES, block);
  const d = first - n0 * LANES;
  const rotation = k.constant(
    `rotate-heads.${t.dtype}.${block}x${cols}.${d}+${n}.${p.headDim}`,
    t.dtype,
    block,
    cols,
    (r, c) => {
      if (r < d || r >= d + n) return 0;
      const { from, sign } = rotated(r - d, p.headDim);
      return c === from + d ? sign : 0;
    },
  );
  const rot = k.matmul(k.fresh(at), x, rotation, "fp32", t.cols, [n0, n1], {
    kind: "band",
    nTiles: [n0, n1],
  });
  return k.convert(k.fresh(at), rotateAndMix(k, at, x, rot, p), outDtype);
}
