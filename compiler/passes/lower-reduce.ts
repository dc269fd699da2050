// Reductions over the last axis (lanes) as kernel ops: a lane sum is an MXM product with a ones matrix, which
// also broadcasts the sum to every lane; layernorm, rmsnorm and softmax are built from it and VXM ops in fp32.
// Guarantees: padding lanes (past a tensor's width) hold finite values in every result, so a later product with
// zero weight columns, a recip or an rsqrt never turns them into inf or NaN.
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, LANES } from "./kernel-builder.ts";
import type { PointwiseStep } from "./pointwise-ir.ts";

/** A ones weight [320 rows, width cols], used for every output tile: every output lane, padding
 * included, gets the sum of input lanes 0..width-1; input lanes past `width` meet zero columns (the constant's
 * padding), so their garbage drops. */
function ones(k: KernelBuilder, dtype: DType, width: number): string {
  return k.constant(`ones.${dtype}.${LANES}x${width}`, dtype, LANES, width, () => 1);
}

/** A [1, width] row of ones (fp32): multiplying by it zeroes the padding lanes. */
export function keepMask(k: KernelBuilder, width: number): string {
  return k.constant(`keep.fp32.${width}`, "fp32", 1, width, () => 1);
}

/** fp32 [R, min(outCols, 320)], or [R, copies * 320] past MAX_REPEATED_TILES: every lane of row r is sum of
 * x[r, 0..width-1], for x in fp16 or bf16 (exact inputs). Past one tile every output tile would be the same, so
 * only one is computed: a binary op repeats it over a wider operand's tiles (`bTile`). For a 4096-wide row that
 * is 13 weight tiles instead of 169. The one tile is read by a task with each tile of the wide operand, so it must
 * share a slice group with none of them (allocate's rule: the tiles one task accesses sit on distinct slices), and
 * an fp32 row of 22 tiles or more covers every 4-slice group (llama2-70b's d = 8192 is 26). So a wider row gets
 * ceil(tiles / MAX_REPEATED_TILES) copies of the one tile, each read with a run of at most MAX_REPEATED_TILES of
 * the wide operand's tiles (kernel-builder.ts `repeatedTile`): still K weight tiles (26 for d = 8192, where every
 * output tile of a ones weight repeated over every output tile took 26 x 26). The copies are a VXM copy whose input is the one tile
 * repeated; fused into the sum's pointwise readers (fuse.ts drops the copy step), they cost no task of their own:
 * rmsnorm's rsqrt(sum hi + sum lo ...) reads the two one-tile sums and writes its result's copies. The values are
 * copied, not recomputed, so the numbers are those of the one-tile sum. */
export function laneSum(k: KernelBuilder, at: string, x: string, outCols: number, rowChunks = false): string {
  return repeatedFor(k, at, laneSumTile(k, at, x, outCols, rowChunks), outCols);
}

/** The product of laneSum: fp32 [R, min(outCols, 320)], every lane the sum of x's lanes, before any copies.
 * `rowChunks`: run in row chunks though x may be one tile (kernel-ir.ts matmul `rowChunks`). */
export function laneSumTile(
  k: KernelBuilder,
  at: string,
  x: string,
  outCols: number,
  rowChunks = false,
): string {
  const t = k.get(x);
  const w = ones(k, t.dtype, t.cols);
  return k.matmul(k.fresh(at), x, w, "fp32", Math.min(outCols, LANES), undefined, undefined, rowChunks);
}

/** A lane sum's one tile `sum` as a binary op over `outCols` lanes reads it: itself, or past MAX_REPEATED_TILES
 * its copies (laneSum). */
export function repeatedFor(k: KernelBuilder, at: string, sum: string, outCols: number): string {
  const copies = copiesFor(outCols);
  if (copies === 1) return sum;
  const id = k.define(k.fresh(at), "fp32", k.get(sum).rows, copies * LANES);
  k.ops.push({ kind: "pointwise", id, inputs: [sum], steps: [{ kind: "unary", fn: "copy", x: 0 }], out: id });
  return id;
}

/** The most tiles (320 lanes each) one copy of a lane sum is repeated over: well under the 22 fp32 slice groups
 * of tsp-v1, leaving groups for the row's other partners (the widest row one tile served before the copies). */
const MAX_REPEATED_TILES = 16;

/** How many copies of a lane sum's one tile a row of `cols` lanes reads (laneSum). */
export const copiesFor = (cols: number): number => Math.ceil(Math.ceil(cols / LANES) / MAX_REPEATED_TILES);

/**
 * The lane sum of an fp32 tensor. The MXM takes 16-bit inputs, so x is split into bf16 hi + bf16 lo (lo = x - hi,
 * exact in fp32) and both are summed: x is represented to about 2^-17 relative, where one bf16 would give 2^-9.
 */
export function laneSum32(k: KernelBuilder, at: string, x: string, outCols: number): string {
  return laneSum32Of(k, at, () => x, outCols);
}

/**
 * The lane sum of a non-negative fp32 tensor (a softmax's exps) from its bf16 rounding alone: one product instead
 * of laneSum32's two. Each term is within 2^-9 relative of its value, so, the terms sharing a sign, the sum is
 * too (the dropped low half is below that); a softmax row divided by it is off by one common factor within
 * 2^-9 (1.95e-3), under the fp16 tolerance of 1e-2 (docs/compiler.md "Numbers and tolerance").
 */
export function laneSumPositive(k: KernelBuilder, at: string, x: string, outCols: number): string {
  return laneSum(k, at, k.convert(k.fresh(at), x, "bf16"), outCols);
}

/** laneSum32 of a value `make` builds (each call anew, from tensors that exist): hi and lo are then each one fused
 * task from those tensors (fuse.ts), and the fp32 value itself is never stored. With `scale`, each half's sum is
 * multiplied by it before the two are added (a one-tile sum: the products' epilogues, fuse.ts), one VXM step fewer
 * for the sum's reader. `rowChunks`: laneSumTile's. */
export function laneSum32Of(
  k: KernelBuilder,
  at: string,
  make: () => string,
  outCols: number,
  scale?: number,
  rowChunks = false,
): string {
  const hi = k.convert(k.fresh(at), make(), "bf16");
  const lo = k.convert(
    k.fresh(at),
    k.binary(k.fresh(at), "sub", make(), k.convert(k.fresh(at), hi, "fp32")),
    "bf16",
  );
  const sum = (half: string) => {
    const s = laneSum(k, at, half, outCols, rowChunks);
    return scale === undefined ? s : k.imm(k.fresh(at), "mul", s, scale);
  };
  return k.binary(k.fresh(at), "add", sum(hi), sum(lo));
}

/** Whether a layernorm of x takes E[x^2] from x's column tiles folded into one (foldedSquares): 16 bits, 2 or 3
 * column tiles (the fold task reads each, and the keep mask's last tile when it is partial: at most 4 inputs, as
 * fuse.ts allows a task). Any rows: a decode's one row gained too (gpt2-small 63,327 -> 62,520 cycles). Wider
 * rows keep their products (a fold of more tiles would be several tasks; not built).
 * The fold of 3 tiles is 8 VXM steps, 9 with the mask: past fuse.ts's cap of 6 (`maxPointwiseSteps`), on purpose.
 * The cap keeps an op's column tiles, run side by side, from holding most of the 16 ALUs; the fold's out is one
 * tile, so its task holds 9. Measured (`lpu compile --json`): the fold as two tasks within the cap (x_0^2 + x_1^2,
 * then that + (x_2 keep)^2) takes bert-base 343,095 -> 348,673 cycles and gpt2-small (8 chips) 62,520 -> 63,474:
 * a task more on each norm's path. */
function foldsTiles(t: { cols: number; dtype: DType }): boolean {
  const tiles = Math.ceil(t.cols / LANES);
  return t.dtype !== "fp32" && tiles >= 2 && tiles <= 3;
}

/**
 * The lane sum of x^2 (x 16-bit, foldsTiles), each half's sum scaled by `scale`: x's column tiles folded into one
 * fp32 tile f (foldTiles), split into bf16 hi + lo as laneSum32 does, and each half summed by a product of one K
 * tile run in row chunks (`rowChunks`, so the norm's next steps go on by rows as after a chain of K tiles). A
 * layernorm of 768 lanes then makes 2 passes for E[x^2] instead of 6 (hi and lo over 3 tiles each); x's own sum
 * keeps its 3 passes (x is exact in 16 bits, no fold or split needed).
 */
function foldedSquares(k: KernelBuilder, at: string, x: string, outCols: number, scale: number): string {
  const f = foldTiles(k, at, x);
  return laneSum32Of(k, at, () => f, outCols, scale, true);
}

/**
 * fp32 [R, 320]: lane l of row r is the sum over x's column tiles j of x[r, 320 j + l]^2, the last tile's padding
 * lanes zeroed by the keep mask. One VXM task per row chunk reading every column tile of x (PointwiseOp
 * `inputTiles`). x^2 is exact in fp32; the sum of 3 rounds at 2^-24 relative (all terms positive).
 */
function foldTiles(k: KernelBuilder, at: string, x: string): string {
  const t = k.get(x);
  const tiles = Math.ceil(t.cols / LANES);
  const partial = t.cols % LANES !== 0;
  const id = k.define(k.fresh(at), "fp32", t.rows, LANES);
  const inputs = [...Array<string>(tiles).fill(x), ...(partial ? [keepMask(k, t.cols)] : [])];
  const inputTiles = [...Array(tiles).keys(), ...(partial ? [tiles - 1] : [])];
  const steps: PointwiseStep[] = [];
  const push = (s: PointwiseStep) => steps.push(s) - 1 + inputs.length;
  const terms: number[] = [];
  for (let j = 0; j < tiles; j++) {
    let v = push({ kind: "convert", x: j, to: "fp32" });
    if (partial && j === tiles - 1) v = push({ kind: "binary", fn: "mul", a: v, b: tiles });
    terms.push(push({ kind: "binary", fn: "mul", a: v, b: v }));
  }
  let sum = terms[0]!;
  for (const v of terms.slice(1)) sum = push({ kind: "binary", fn: "add", a: sum, b: v });
  k.ops.push({ kind: "pointwise", id, inputs, steps, out: id, inputTiles });
  return id;
}

/** layernorm (centre) or rmsnorm over the last axis, in fp32, rounded once to `out`'s dtype at `outId`. */
export function lowerNorm(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  x: string,
  g: string,
  b: string | undefined,
  eps: number,
  centre: boolean,
): void {
  const at = outId;
  const d = k.get(x).cols;
  // (v * v) * keep, built once for each half of its lane sum: v is read twice, the squares never stored.
  const squares = (v: () => string) => () => {
    const w = v();
    return k.binary(k.fresh(at), "mul", k.binary(k.fresh(at), "mul", w, w), keepMask(k, d));
  };
  const meanOf = (sum: string) => k.imm(k.fresh(at), "mul", sum, 1 / d);
  let c: string;
  let variance: string;
  if (centre && k.get(x).dtype !== "fp32") {
    // One pass: var = E[x^2] - mean^2, so the sums of x and of x^2 run side by side instead of the squares of
    // x - mean waiting for the mean (a product chain and its VXM steps fewer on the row's path). A 16-bit x
    // squares exactly in fp32 and x^2's lane sum is taken as hi + lo, but mean^2 cancels E[x^2]'s leading bits, so
    // the error grows with |mean| / std: measured on 768 lanes (test/e2e/row-ops.test.ts), one fp16 ulp at 32
    // standard deviations; at 192 and 256 about 1.3-2.7e-2 absolute, off the interpreter's tolerance for some seeds
    // (seeds 0-2, with and without the epilogue scaling below alike: the fifteenth session's review). Two passes are
    // exact to an ulp at any mean.
    // Rounding can take var below 0 for a row of equal values, so it is clamped there (rsqrt stays finite).
    // x in fp32 converted anew for each reader (exact from 16 bits): each convert folds into its reader's task
    // (fuse.ts), so no task stores x32 first on the row's path.
    const own = () => k.convert(k.fresh(at), x, "fp32");
    const mean = meanOf(laneSum(k, at, x, d));
    // E[x^2] with each half's sum scaled in its product's epilogue: the steps from the sums to rsqrt are then 6,
    // one fused task (fuse.ts's cap for one tile), not 7 (rsqrt a task of its own on every row's path).
    const meanSq = foldsTiles(k.get(x))
      ? foldedSquares(k, at, x, d, 1 / d)
      : laneSum32Of(k, at, squares(own), d, 1 / d);
    const diff = k.binary(k.fresh(at), "sub", meanSq, k.binary(k.fresh(at), "mul", mean, mean));
    variance = k.imm(k.fresh(at), "max", diff, 0);
    c = k.binary(k.fresh(at), "sub", own(), mean);
  } else {
    // An fp32 x: mean = sum / D, summed as hi + lo (laneSum32): its bf16 rounding alone would put the mean off by
    // up to 2^-9 of mean |x|, an error every output shares, divided by the row's spread; and x^2 is not exact in
    // fp32, so the variance is taken from (x - mean)^2 (two passes).
    const x32 = k.convert(k.fresh(at), x, "fp32");
    c = centre ? k.binary(k.fresh(at), "sub", x32, meanOf(laneSum32(k, at, x, d))) : x32;
    const centred = c;
    variance = meanOf(
      laneSum32Of(
        k,
        at,
        squares(() => centred),
        d,
      ),
    );
  }
  const inv = k.unary(k.fresh(at), "rsqrt", k.imm(k.fresh(at), "add", variance, eps));
  let y = k.binary(k.fresh(at), "mul", c, inv);
  y = k.binary(k.fresh(at), "mul", y, k.convert(k.fresh(at), g, "fp32"));
  if (b) y = k.binary(k.fresh(at), "add", y, k.convert(k.fresh(at), b, "fp32"));
  finish(k, outId, y, outDtype);
}

/**
 * softmax over the last axis of fp32 scores whose padding lanes are finite. The row maximum is NOT subtracted
 * (the VXM has no lane max and the scheduler has no SXM steps yet): exp(x) / sum exp(x) equals the interpreter's
 * exp(x - max) / sum exp(x - max) up to rounding while every score is below 88 (fp32 exp overflows above); the
 * programs' scores are O(1..10). Padding lanes are set to 0 before and after exp. Returns p in fp32.
 */
export function softmax32(k: KernelBuilder, at: string, s32: string): string {
  const e = maskedExp(k, at, s32);
  const rs = k.unary(k.fresh(at), "recip", laneSum32(k, at, e, k.get(s32).cols));
  return k.binary(k.fresh(at), "mul", e, rs);
}

/**
 * softmax over the lanes of several parts of one row (a decode's scores against the cached keys and against the new
 * key), each fp32 with finite padding lanes: each part's exps (maskedExp) times one reciprocal of their common sum.
 * The sum is made once for every part: one lane-sum product per part's bf16 exps (laneSumPositive's rounding),
 * added and inverted once. Parts of different widths share one tile of it, which a binary op repeats over each
 * part's tiles (`bTile`; a partial tile meets its own lanes of it); a part wider than MAX_REPEATED_TILES tiles reads
 * copies of it (laneSum), one add and recip per copy count. Returns part i's p in fp32, made when asked for, so a
 * caller can put each part's readers right after it.
 */
export function softmaxParts(k: KernelBuilder, at: string, scores: readonly string[]): (i: number) => string {
  const exps = scores.map((s) => maskedExp(k, at, s));
  const widths = exps.map((e) => k.get(e).cols);
  const tile = widths.every((w) => w === widths[0]) ? widths[0]! : LANES;
  const sums = exps.map((e) => laneSumTile(k, at, k.convert(k.fresh(at), e, "bf16"), tile));
  const inverses = new Map<number, string>();
  const inverse = (cols: number): string => {
    const copies = copiesFor(cols);
    let inv = inverses.get(copies);
    if (inv === undefined) {
      const total = sums
        .map((s) => repeatedFor(k, at, s, cols))
        .reduce((a, b) => k.binary(k.fresh(at), "add", a, b));
      inv = k.unary(k.fresh(at), "recip", total);
      inverses.set(copies, inv);
    }
    return inv;
  };
  if (copiesFor(Math.max(...widths)) === 1) inverse(widths[0]!);
  return (i) => k.binary(k.fresh(at), "mul", exps[i]!, inverse(widths[i]!));
}

/** exp(x) of fp32 x with its padding lanes 0 after exp (so they add nothing). Zero after exp: p's padding meets the
 * padding columns of p . V's weight, which are not zero when V^T is computed (a transpose on the MXM leaves them as
 * it finds them); dropping this mask broke the prefill checks of test/e2e. x's padding lanes are finite (products of
 * finite weights), not known: with one partial tile (a prefill's scores over at most 320 keys, a decode's new key)
 * they are capped by min with -inf first (the kept lanes by min with +inf, exact), so exp gives 0 there and the
 * cap is one epilogue op on the scores' product (fuse.ts), where a keep mask before and after exp was two ops, the
 * second a VXM task of its own on the head's chain (a fused task cannot read one row twice). Wider rows keep both
 * masks (a cap tile repeated over every tile would cap the kept lanes of the others). */
export function maskedExp(k: KernelBuilder, at: string, s32: string): string {
  const cols = k.get(s32).cols;
  if (cols < LANES) {
    const cap = k.constant(`cap.fp32.${cols}`, "fp32", 1, LANES, (_, c) =>
      c < cols ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
    );
    return k.unary(k.fresh(at), "exp", k.binary(k.fresh(at), "min", s32, cap));
  }
  const keep = keepMask(k, cols);
  const e = k.unary(k.fresh(at), "exp", k.binary(k.fresh(at), "mul", s32, keep));
  return k.binary(k.fresh(at), "mul", e, keep);
}

/** The softmax op over the last axis: fp32 inside, rounded once. */
export function lowerSoftmax(k: KernelBuilder, outId: string, outDtype: DType, x: string): void {
  finish(k, outId, softmax32(k, outId, k.convert(k.fresh(outId), x, "fp32")), outDtype);
}

/** Defines `outId` as x converted to `dtype` (a copy when the types already agree: the node's id must exist). */
export function finish(k: KernelBuilder, outId: string, x: string, dtype: DType): void {
  const t = k.get(x);
  k.define(outId, dtype, t.rows, t.cols);
  if (t.dtype === dtype) k.ops.push({ kind: "unary", id: outId, fn: "copy", x, out: outId });
  else k.ops.push({ kind: "convert", id: outId, x, out: outId });
}

/**
 * rmsnorm whose every reader is a product of one row (decode): rmsnorm(x) W = ((x * g) W) * (1 / rms(x)), the
 * second factor one scalar per row. So `outId` is x * g alone (rounded once to `outDtype`), which the products may
 * start on at once, and the returned fp32 one-tile [rows, 320] 1 / rms(x) (every lane the same) is applied in each
 * product's epilogue (`scaledProduct`) while the lane sum of squares runs beside the products' K chains. The sum
 * and rsqrt are lowerNorm's (x32's squares summed as hi + lo), so 1 / rms is the same number.
 * Range: x * g in fp16 overflows where |x * g| > 65,504 and loses precision below fp16's smallest normal (6.1e-5)
 * where x / rms * g would not; a bf16 x * g has fp32's range (docs/compiler.md "A deferred rmsnorm").
 */
export function lowerRmsnormDeferred(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  x: string,
  g: string,
  eps: number,
): string {
  const at = outId;
  const d = k.get(x).cols;
  const x32 = k.convert(k.fresh(at), x, "fp32");
  const squares = () => k.binary(k.fresh(at), "mul", k.binary(k.fresh(at), "mul", x32, x32), keepMask(k, d));
  const variance = k.imm(k.fresh(at), "mul", laneSum32Of(k, at, squares, LANES), 1 / d);
  const inv = k.unary(k.fresh(at), "rsqrt", k.imm(k.fresh(at), "add", variance, eps));
  finish(k, outId, k.binary(k.fresh(at), "mul", x32, k.convert(k.fresh(at), g, "fp32")), outDtype);
  return inv;
}

/** The product a . b^T of a deferred rmsnorm's x * g (`a`), times its 1 / rms (`inv`, one tile repeated over the
 * product's tiles: `bTile`) in fp32, rounded to `outDtype` at `outId`. fuse.ts folds the multiply and the rounding
 * into the product's epilogue (one row), each output tile reading inv's one tile (tile-context.ts `finish`), so only
 * the accumulator's last step waits for inv, and a chip of a column split receives one fp32 tile of it. */
export function scaledProduct(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  a: string,
  b: string,
  inv: string,
): void {
  // The product keeps the node's name (the fused op's id: fuse.ts), its fp32 value a fresh tensor.
  const p = k.define(k.fresh(outId), "fp32", k.get(a).rows, k.get(b).rows);
  k.ops.push({ kind: "matmul", id: outId, a, b, out: p });
  const scaled = k.binary(k.fresh(outId), "mul", p, inv);
  k.define(outId, outDtype, k.get(p).rows, k.get(p).cols);
  k.ops.push({ kind: "convert", id: k.fresh(outId), x: scaled, out: outId });
}
