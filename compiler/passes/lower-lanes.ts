// Lane movement without the SXM: an MXM product with a 0/1 selection matrix moves lanes exactly (one product by 1,
// the rest by 0, summed in fp32), so split along the last axis, moving a head's lanes and transposing are matmuls
// with constant weights. Head masks (a row of ones over one head's lanes) select a head for VXM multiplies.
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, padded, tilesOf } from "./kernel-builder.ts";

/**
 * The weight that moves lanes src0..src0+n-1 of an input `cols` wide to output lanes dst0..dst0+n-1 of an output
 * `outCols` wide. Its rows are padded to the output's full width with zero rows, so every padding lane of the
 * result is exactly 0 (the staging buffer's stale rows never reach it).
 */
export function selection(
  k: KernelBuilder,
  dtype: DType,
  cols: number,
  outCols: number,
  src0: number,
  dst0: number,
  n: number,
): string {
  const rows = padded(outCols);
  return k.constant(`select.${dtype}.${rows}x${cols}.${src0}to${dst0}+${n}`, dtype, rows, cols, (r, c) =>
    r >= dst0 && r < dst0 + n && c === r - dst0 + src0 ? 1 : 0,
  );
}

/** x's lanes src0..src0+n-1 as a new tensor n wide (or placed at dst0 of one outCols wide). x must be 16-bit. */
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
  // Only the tiles holding lanes src0.. meet nonzero weight columns.
  const w = selection(k, t.dtype, t.cols, outCols, src0, dst0, n);
  return k.matmul(id, x, w, t.dtype, outCols, tilesOf(src0, n));
}

/** A [1, width] row: 1 over lanes first..first+n-1, 0 elsewhere (and in the padding). */
export function laneMask(k: KernelBuilder, dtype: DType, width: number, first: number, n: number): string {
  return k.constant(`mask.${dtype}.${width}.${first}+${n}`, dtype, 1, width, (_, c) =>
    c >= first && c < first + n ? 1 : 0,
  );
}
