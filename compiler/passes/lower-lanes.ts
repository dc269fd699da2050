// Lane movement without the SXM: an MXM product with a 0/1 selection matrix moves lanes exactly (one product by 1,
// the rest by 0, summed in fp32), so split along the last axis, moving a head's lanes and transposing are matmuls
// with constant weights. Head masks (a row of ones over one head's lanes) select a head for VXM multiplies.
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, LANES, tilesOf } from "./kernel-builder.ts";

/**
 * x's lanes src0..src0+n-1 as a new tensor n wide (or placed at dst0 of one outCols wide), by a product with a 0/1
 * selection matrix. x must be 16-bit. The matrix is stored as its nonzero block only (a `band` weight: the output
 * tiles holding dst0.. and the input tiles holding src0..); the result's other tiles are exact zeros, and its
 * padding lanes too (the block's rows past outCols are zero rows), so heads moved into one row add exactly.
 * Its name holds the offsets within the block, so moves with the same offsets mod 320 share one constant.
 */
export function moveLanes(
  k: KernelBuilder,
  id: string,
  x: string,
  src0: number,
  n: number,
  dst0 = 0,
  outCols = n,
): string {
  const t = k.get(x);
  const [k0, k1] = tilesOf(src0, n);
  const [n0, n1] = tilesOf(dst0, n);
  const rows = (n1 - n0) * LANES;
  const cols = Math.min(t.cols - k0 * LANES, (k1 - k0) * LANES);
  const s = src0 - k0 * LANES;
  const d = dst0 - n0 * LANES;
  const w = k.constant(`select.${t.dtype}.${rows}x${cols}.${s}to${d}+${n}`, t.dtype, rows, cols, (r, c) =>
    r >= d && r < d + n && c === r - d + s ? 1 : 0,
  );
  return k.matmul(id, x, w, t.dtype, outCols, [k0, k1], { kind: "band", nTiles: [n0, n1] });
}
/** A [1, width] row: 1 over lanes first..first+n-1, 0 elsewhere (and in the padding). */
export function laneMask(k: KernelBuilder, dtype: DType, width: number, first: number, n: number): string {
  return k.constant(`mask.${dtype}.${width}.${first}+${n}`, dtype, 1, width, (_, c) =>
    c >= first && c < first + n ? 1 : 0,
  );
}
