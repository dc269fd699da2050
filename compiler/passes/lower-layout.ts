// Data movement between rows and lanes: transpose, concat, split along a row axis and softmax over a row axis, as
// kernel ops. Moving whole rows is `copyRows` (a VXM copy); moving data between lanes and rows (the last axis
// changes) is an MXM product with identity activations against the rows as weights, exact (one product by 1).
// Guarantees: every result equals the interpreter's exactly (no arithmetic on the values).
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, LANES, tilesOf } from "./kernel-builder.ts";
import type { RowRange } from "./kernel-ir.ts";
import { moveLanes } from "./lower-lanes.ts";
import { lowerSoftmax } from "./lower-reduce.ts";

const product = (xs: readonly number[]): number => xs.reduce((p, v) => p * v, 1);

/** Defines `id` as the given rows, or aliases it (returns the source) when they are all of one tensor in order. */
function gatherRows(k: KernelBuilder, id: string, parts: readonly RowRange[]): string {
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (only && only.row0 === 0 && only.n === k.get(only.x).rows) return only.x;
  return k.copyRows(id, parts);
}

/**
 * Permutes the row axes of x (shape `shape`, the last axis stays last): `perm[j]` is the input axis of output axis
 * j, `perm[rank - 1] = rank - 1`. Returns the tensor holding the result (x itself for the identity).
 */
export function permuteRows(
  k: KernelBuilder,
  id: string,
  x: string,
  shape: readonly number[],
  perm: readonly number[],
): string {
  const rank = shape.length;
  const rowAxes = rank - 1;
  const strides = new Array<number>(rowAxes).fill(1);
  for (let i = rowAxes - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const outShape = perm.slice(0, rowAxes).map((p) => shape[p]!);
  const total = product(outShape);
  const rows: RowRange[] = [];
  const idx = new Array<number>(rowAxes).fill(0);
  for (let r = 0; r < total; r++) {
    let src = 0;
    for (let j = 0; j < rowAxes; j++) src += idx[j]! * strides[perm[j]!]!;
    rows.push({ x, row0: src, n: 1 });
    for (let j = rowAxes - 1; j >= 0; j--) {
      if (++idx[j]! < outShape[j]!) break;
      idx[j] = 0;
    }
  }
  return gatherRows(k, id, mergeRanges(rows));
}

/**
 * x [P*M, N] (P matrices of M rows) -> [P*N, M], each matrix transposed on the MXM: its rows are the weight rows
 * (one per output lane m) and the identity the activations, out[n, m] = sum_c I[n, c] x[m, c] = x[m, n], one
 * 320-row band of the identity at a time (a band is nonzero in one column tile, so it is one K tile). 16-bit x.
 */
export function transposeLast2(k: KernelBuilder, at: string, x: string, P: number, M: number): string {
  const { cols: N, dtype } = k.get(x);
  const parts: RowRange[] = [];
  for (let p = 0; p < P; p++) {
    const xp = P > 1 ? k.copyRows(k.fresh(at), [{ x, row0: p * M, n: M }]) : x;
    for (let r0 = 0; r0 < N; r0 += LANES) {
      const n = Math.min(LANES, N - r0);
      const eye = k.constant(`eye.${dtype}.${N}.${r0}+${n}`, dtype, n, N, (r, c) => (c === r0 + r ? 1 : 0));
      parts.push({ x: k.matmul(k.fresh(at), eye, xp, dtype, M, tilesOf(r0, n)), row0: 0, n });
    }
  }
  return parts.length === 1 ? parts[0]!.x : k.copyRows(k.fresh(at), parts);
}

export const isMxmType = (d: DType): boolean => d === "fp16" || d === "bf16";

/**
 * transpose(x, perm) for any permutation: row axes are permuted by copying rows; when the last axis moves, the
 * axis that becomes last is first brought next to it (rows), then the two are swapped on the MXM, then the rows
 * are put in the output's order. Returns the tensor holding the result, shaped [rows of out, out's last axis].
 */
export function lowerTranspose(
  k: KernelBuilder,
  at: string,
  x: string,
  shape0: readonly number[],
  perm0: readonly number[],
): string {
  const { shape, perm } = mergeRuns(shape0, perm0);
  const rank = shape.length;
  const last = rank - 1;
  if (perm[last] === last) return permuteRows(k, k.fresh(at), x, shape, perm);
  const to = perm[last]!;
  // The other axes in the output's order, then `to`, then the last axis.
  const others = perm.filter((p) => p !== to && p !== last);
  const perm1 = [...others, to, last];
  const x1 = permuteRows(k, k.fresh(at), x, shape, perm1);
  const lead = product(others.map((p) => shape[p]!));
  const x2 = transposeLast2(k, at, x1, lead, shape[to]!);
  // x2's axes, by input axis number: others, last, to; put them in the output's order (to stays last).
  const axes2 = [...others, last, to];
  const shape2 = axes2.map((a) => shape[a]!);
  return permuteRows(
    k,
    k.fresh(at),
    x2,
    shape2,
    perm.map((p) => axes2.indexOf(p)),
  );
}

/**
 * The same permutation over fewer axes: row axes that stay next to each other in order (perm[j + 1] = perm[j] + 1)
 * are one axis, so [A, B, C, D] with perm [2, 0, 1, 3] is [A*B, C, D] with perm [1, 0, 2]. The input's and the
 * output's last axes stay alone: they are the lanes, and lanes do not merge with rows for free.
 */
function mergeRuns(shape: readonly number[], perm: readonly number[]) {
  const last = shape.length - 1;
  const groups: number[][] = [];
  for (const [j, p] of perm.entries()) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1]! + 1 === p && p !== last && j !== last) g.push(p);
    else groups.push([p]);
  }
  const inInputOrder = [...groups].sort((a, b) => a[0]! - b[0]!);
  return {
    shape: inInputOrder.map((g) => product(g.map((a) => shape[a]!))),
    perm: groups.map((g) => inInputOrder.indexOf(g)),
  };
}

/** concat along the last axis: each part's lanes moved to its offset by a selection product, the parts added
 * (disjoint lanes, exactly 0 elsewhere, so the adds are exact). 16-bit parts. */
export function concatLanes(k: KernelBuilder, at: string, parts: readonly string[]): string {
  const width = parts.reduce((s, p) => s + k.get(p).cols, 0);
  let off = 0;
  let sum: string | undefined;
  for (const p of parts) {
    const n = k.get(p).cols;
    const moved = moveLanes(k, k.fresh(at), p, 0, n, off, width);
    sum = sum === undefined ? moved : k.binary(k.fresh(at), "add", sum, moved);
    off += n;
  }
  return sum!;
}

/** concat along row axis `axis` (< rank - 1): per index of the axes before it, each part's block of rows. */
export function concatRows(
  k: KernelBuilder,
  id: string,
  parts: readonly { x: string; shape: readonly number[] }[],
  axis: number,
): string {
  const outer = product(parts[0]!.shape.slice(0, axis));
  const rows: RowRange[] = [];
  for (let o = 0; o < outer; o++)
    for (const p of parts) {
      const n = product(p.shape.slice(axis, -1));
      rows.push({ x: p.x, row0: o * n, n });
    }
  return gatherRows(k, id, mergeRanges(rows));
}

/** split along row axis `axis` (< rank - 1): output i is, per index of the axes before it, its block of rows. */
export function splitRows(
  k: KernelBuilder,
  ids: readonly string[],
  x: string,
  shape: readonly number[],
  axis: number,
  sizes: readonly number[],
): string[] {
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1, -1));
  const size = shape[axis]!;
  let at = 0;
  return sizes.map((ps, i) => {
    const rows: RowRange[] = [];
    for (let o = 0; o < outer; o++) rows.push({ x, row0: (o * size + at) * inner, n: ps * inner });
    at += ps;
    return gatherRows(k, ids[i]!, mergeRanges(rows));
  });
}

/** Consecutive ranges of one tensor merged into one (fewer copy tasks). */
function mergeRanges(rows: readonly RowRange[]): RowRange[] {
  const out: RowRange[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.x === r.x && last.row0 + last.n === r.row0)
      out[out.length - 1] = { ...last, n: last.n + r.n };
    else out.push(r);
  }
  return out;
}

/** softmax over row axis `axis`: that axis swapped with the last (lanes), softmax over lanes, swapped back.
 * Both swaps are exact, so the result equals softmax over the last axis of the transposed tensor. 16-bit x. */
export function softmaxRowAxis(
  k: KernelBuilder,
  at: string,
  dtype: DType,
  x: string,
  shape: readonly number[],
  axis: number,
): string {
  const last = shape.length - 1;
  const perm = shape.map((_, i) => (i === axis ? last : i === last ? axis : i));
  const swapped = lowerTranspose(k, at, x, shape, perm);
  const sm = k.fresh(at);
  lowerSoftmax(k, sm, dtype, swapped);
  return lowerTranspose(
    k,
    at,
    sm,
    perm.map((p) => shape[p]!),
    perm,
  );
}
