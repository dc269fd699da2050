// A decode head's softmax and its new key's p . v (one new key per row: `S = 1`), as kernel ops. In: the scores
// against the cached keys (fp32 [rows, C]) and against the new key (fp32 [rows, 1]), the new value row and the
// group's stacked query-head count. Out: the cached keys' probabilities in fp32 (the caller takes p . V over the
// cache) and a maker of p . v over the new key in fp32 [rows, width]. Guarantees: the softmax's denominator is made
// once for both parts, and no MXM product on the new key's side waits for it.
import { type KernelBuilder, LANES } from "./kernel-builder.ts";
import { copiesFor, laneSumTile, maskedExp, repeatedFor } from "./lower-reduce.ts";

/**
 * The new key's exp e is one lane a row, and a lane sum of one lane is that lane in every lane of a tile. So the
 * lane sum of e's bf16 rounding is at once the new key's term of the denominator (added to the cached keys' lane
 * sum of their bf16 exps: laneSumPositive's rounding) and, with the lane sum of the low half (e - bf16(e), within
 * 2^-17 of e together), e broadcast: p . v over the new key is then one VXM task after the denominator,
 * (v * e) * (1 / sum) in fp32 (v's 16-bit values exact). Built as two parts of softmaxParts, the denominator was a
 * lane-sum product per part and the new probability went through one more product with ones (a lane sum of one
 * lane, to reach v's width) after it: on every head's chain. With stacked heads (`group` > 1) the tiles of e and
 * 1 / sum are first spread over the row's width by a constant of ones, so that v's row is the row broadcast a
 * binary op takes (exact, x 1).
 */
export function decodeSoftmax(
  kb: KernelBuilder,
  at: string,
  cachedScores: string | undefined,
  newScores: string,
  v: string,
  group: number,
  width: number,
): { cachedProbs?: string; newValues: () => string } {
  const ec = cachedScores === undefined ? undefined : maskedExp(kb, at, cachedScores);
  const en = maskedExp(kb, at, newScores);
  const bf16 = (x: string) => kb.convert(kb.fresh(at), x, "bf16");
  const hi = bf16(en);
  const enHi = laneSumTile(kb, at, hi, LANES);
  const ecSum = ec === undefined ? undefined : laneSumTile(kb, at, bf16(ec), LANES);
  // 1 / sum, one tile; past MAX_REPEATED_TILES the cached part reads copies, made by a recip of their own.
  const inverse = (cols: number) =>
    kb.unary(
      kb.fresh(at),
      "recip",
      ecSum === undefined
        ? enHi
        : kb.binary(kb.fresh(at), "add", repeatedFor(kb, at, ecSum, cols), repeatedFor(kb, at, enHi, cols)),
    );
  const inv = inverse(LANES);
  const cachedProbs = (ec: string) => {
    const C = kb.get(ec).cols;
    return kb.binary(kb.fresh(at), "mul", ec, copiesFor(C) === 1 ? inv : inverse(C));
  };
  const newValues = () => {
    const lo = bf16(kb.binary(kb.fresh(at), "sub", en, kb.convert(kb.fresh(at), hi, "fp32")));
    const loSum = laneSumTile(kb, at, lo, LANES);
    const v32 = kb.convert(kb.fresh(at), v, "fp32");
    const mul = (a: string, b: string) => kb.binary(kb.fresh(at), "mul", a, b);
    // One row: e = lo's sum + hi's in the lo product's epilogue. Stacked rows (no epilogue add of a row block):
    // lo's sum spread first, so e is a step of the one fused task (a tile-wide e was a VXM task of its own).
    if (group === 1) return mul(mul(v32, kb.binary(kb.fresh(at), "add", loSum, enHi)), inv);
    const rows = kb.get(en).rows;
    const ones = kb.constant(`ones.fp32.${rows}x${width}`, "fp32", rows, width, () => 1);
    return mul(mul(kb.binary(kb.fresh(at), "add", mul(ones, loSum), enHi), inv), v32);
  };
  return { ...(ec === undefined ? {} : { cachedProbs: cachedProbs(ec) }), newValues };
}

/** The values of a decode without a cache, whose one key's probability is exactly 1: v's row in fp32 for each of
 * the group's stacked query heads (a constant of ones spread over the rows, exact). */
export function oneKeyValues(kb: KernelBuilder, at: string, v: string, group: number, width: number): string {
  const v32 = kb.convert(kb.fresh(at), v, "fp32");
  if (group === 1) return v32;
  const ones = kb.constant(`ones.fp32.${group}x${width}`, "fp32", group, width, () => 1);
  return kb.binary(kb.fresh(at), "mul", ones, v32);
}
