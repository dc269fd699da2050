// A matrix product's MXM groups on a chip and the planes each group's K chain takes: in, the product's shape (its
// b layout, output tiles, rows, K tiles); out, the count. One rule for the tiles (tile-matmul.ts), the SRAM estimate's
// partial sums (pack.ts) and the spread's time line (spread-timeline.ts), so the estimate, the reservation and the
// real tiling agree.
import type { KOp, KTensor, WeightLayout } from "./kernel-ir.ts";
import { evenPlaneSplits } from "./plane-split.ts";
import { taskRows } from "./tile-context.ts";

/** What the count reads of a product (whole: before a K split over chips). */
export interface ProductShape {
  readonly layout: WeightLayout | undefined;
  /** Output column tiles. */
  readonly outTiles: number;
  /** Activation rows (a's). */
  readonly rows: number;
  /** The product's K tiles (over every chip of a K split). */
  readonly kTiles: number;
  /** Row chunks though over one K tile (kernel-ir.ts matmul `rowChunks`). */
  readonly rowChunks?: boolean;
}

/** Rows of one group: a chain of K tiles runs in pipeline-sized row chunks (tile-context.ts `taskRows`), a one-tile
 * product (a lane move, a head's scores) whole rows (`wholeRows`: the accumulator's, or fewer where a block is)
 * unless it asks for chunks (`rowChunks`: a layernorm's folded lane sum). */
export function groupRows(kTiles: number, wholeRows: number, rowChunks = false): number {
  return kTiles > 1 || rowChunks ? taskRows(wholeRows) : wholeRows;
}

/** The output column tiles that hold an MXM group: a window's tiles only (the others are zeros, off the MXM), so a
 * head's p . V (one or two tiles of 2,048 keys' seven K tiles) splits its K chain over the idle planes. A band (a
 * lane move, one or two K tiles) is counted over all output tiles, so it keeps one chain where they fill the planes:
 * a split would save a tile's pass and add a sum. */
export function groupTiles(s: ProductShape): number {
  return s.layout?.kind === "window" ? s.layout.nTiles[1] - s.layout.nTiles[0] : s.outTiles;
}

/** The product's MXM groups on a chip: the output column tiles that hold one (`groupTiles`) x row chunks. */
export function productGroups(s: ProductShape, wholeRows: number): number {
  return groupTiles(s) * Math.ceil(s.rows / groupRows(s.kTiles, wholeRows, s.rowChunks));
}

/** The planes each group's chain of `chipKTiles` K tiles (a chip's share of a K split) takes: every idle plane,
 * shared evenly (plane-split.ts `evenPlaneSplits`); a diagonal product's K tiles differ per output tile, one plane. */
export function productPlaneSplits(
  planes: number,
  s: ProductShape,
  wholeRows: number,
  chipKTiles: number,
): number {
  if (s.layout?.kind === "diagonal") return 1;
  return evenPlaneSplits(planes, productGroups(s, wholeRows), chipKTiles);
}

/** A kernel matmul's shape, as the partitioner sees it (pack.ts, the spread's time line). */
export function productShape(
  ctx: { readonly tensors: ReadonlyMap<string, KTensor>; readonly lanes: number },
  op: Extract<KOp, { kind: "matmul" }>,
): ProductShape {
  const a = ctx.tensors.get(op.a)!;
  const [k0, k1] = op.kTiles ?? [0, Math.ceil(a.cols / ctx.lanes)];
  return {
    layout: op.bLayout,
    outTiles: Math.ceil(ctx.tensors.get(op.out)!.cols / ctx.lanes),
    rows: a.rows,
    kTiles: k1 - k0,
    ...(op.rowChunks ? { rowChunks: true } : {}),
  };
}
