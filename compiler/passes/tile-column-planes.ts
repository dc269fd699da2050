// One output tile (a row chunk) of a column-split matmul on its chip -> its MXM tasks: a chain over every K tile, or,
// when the chip has fewer groups than MXM planes and the split gains (plane-split.ts), the K tiles split over the
// idle planes, their fp32 partial sums added on the chip; then the epilogue and the write of `dst`.
// Guarantees `dst`'s rows hold the whole product.
import { ELEM_BYTES, type ElemType } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { KOp } from "./kernel-ir.ts";
import { planeSplits, planeTiming } from "./plane-split.ts";
import type { Step, TiledTensor, VecRef } from "./task-ir.ts";
import { arrivalOrder } from "./tile-arrival.ts";
import type { TileContext } from "./tile-context.ts";

/** Planes each of the `tiles` output column tiles (in `chunks` row chunks of `rows` rows) of a column split on
 * its chip takes for its K chain, with `beside` column tiles of other products on its planes at the same time
 * (plane-split.ts, the rule the spread's time line uses too). */
export function columnSplits(
  machine: Machine,
  a: TiledTensor,
  b: TiledTensor,
  place: { readonly tiles: number; readonly chunks: number; readonly rows: number; readonly beside?: number },
): number {
  return planeSplits(planeTiming(machine), {
    groups: place.tiles * place.chunks,
    beside: (place.beside ?? 0) * place.chunks,
    kTiles: a.tiles,
    rows: place.rows,
    weightBytes: ELEM_BYTES[b.type],
    activationBytes: ELEM_BYTES[a.type],
    computedWeight: b.role === "temp",
  });
}

/** Where one group of a column split runs and what it writes. */
export interface ColumnTile {
  readonly op: Extract<KOp, { kind: "matmul" }>;
  /** Chip c of the split (stage-relative) and its copy of `a`. */
  readonly chip: number;
  readonly a: TiledTensor;
  readonly weightType: ElemType;
  /** The weight rows of output tile `j` for a's column tile i (the chip's own rows of b). */
  readonly weights: (i: number) => VecRef;
  readonly dst: TiledTensor;
  readonly j: number;
  readonly rows: readonly [number, number];
  readonly acc: ElemType;
  /** Planes this group's K tiles run on (`columnSplits`). */
  readonly splits: number;
}

/**
 * Output tile j, rows m0 .. m0 + mn - 1, of a column split on its chip: one MXM group per split of the K tiles
 * (`.s{s}` when split), each draining its fp32 partial sum, and a VXM task adding them up into `dst` through the
 * epilogue. A split of q or o over 13 chips (2 of their 26 column tiles a chip) otherwise ran each tile's 26 K
 * tiles on one plane while two planes waited (docs/compiler.md "The attention half over the idle nodes").
 */
export function lowerColumnTile(cx: TileContext, t: ColumnTile): void {
  const { op, chip: c, a, j, acc, splits } = t;
  const [m0, mn] = t.rows;
  const base = `${op.id}.n${j}.m${m0}.c${c}`;
  const epilogue = op.epilogue ?? [];
  // a's tiles in the order they are expected ready (tile-arrival.ts): when that is not K order, each chain takes
  // them in it, dealt out to the planes in turn, so no plane waits on a late head's tiles while others are there.
  const order = arrivalOrder(cx.arrival(), op.a, a.tiles);
  const inOrder = order.every((k, n) => k === n);
  if (splits <= 1) {
    const ks = inOrder ? ([0, a.tiles] as const) : { tiles: order };
    const prev = cx.kChain(op.id, base, a, t.weightType, ks, t.weights, [m0, mn], c);
    const steps: Step[] = [{ kind: "acc", type: acc, n: mn, row0: 0 }];
    cx.finish(steps, 0, acc, t.dst, j, m0, mn, epilogue);
    cx.push({ id: `${base}.acc`, op: op.id, mxmGroup: base, mxmGroupEnd: true, steps }, [prev!], c);
    return;
  }
  const parts: TiledTensor[] = [];
  for (let s = 0; s < splits; s++) {
    const k0 = Math.floor((s * a.tiles) / splits);
    const k1 = Math.floor(((s + 1) * a.tiles) / splits);
    const group = `${base}.s${s}`;
    const ks = inOrder ? ([k0, k1] as const) : { tiles: order.filter((_, n) => n % splits === s) };
    const prev = cx.kChain(op.id, group, a, t.weightType, ks, t.weights, [m0, mn], c);
    const part = cx.byId.get(partId(op.out, c, s)) ?? cx.temp(t.dst, partId(op.out, c, s), acc, c);
    const steps: Step[] = [
      { kind: "acc", type: acc, n: mn, row0: 0 },
      { kind: "write", ref: cx.rowsOf(part.id, j, m0, mn), type: acc, src: 0 },
    ];
    cx.push({ id: `${group}.acc`, op: op.id, mxmGroup: group, mxmGroupEnd: true, steps }, [prev!], c);
    parts.push(part);
  }
  const steps: Step[] = parts.map((p) => ({ kind: "read", ref: cx.rowsOf(p.id, j, m0, mn), type: acc }));
  let sum = 0;
  for (let s = 1; s < parts.length; s++) {
    steps.push({ kind: "vbinary", fn: "add", type: acc, a: sum, b: s, n: mn });
    sum = steps.length - 1;
  }
  cx.finish(steps, sum, acc, t.dst, j, m0, mn, epilogue);
  cx.push({ id: `${base}.sum`, op: op.id, steps }, [], c);
}

/** Chip c's fp32 partial sum of split s (one tensor a chip and split, its groups' tiles and rows). */
function partId(out: string, c: number, s: number): string {
  return `${out}.c${c}.planes${s}`;
}
