// The kernel IR: a model graph after `decompose`, as a flat, topologically ordered list of operations the LPU's
// units provide, over 2-D tensors ([rows, cols]: every axis but the last folded into rows). Printable and checkable.
// Contract: every op reads tensors defined earlier (or params, inputs, states) and defines exactly one new tensor.

import { assertNever } from "../../util/assert.ts";
import type { DType } from "../graph/ir.ts";
import { LANES, repeatsTiles } from "./kernel-builder.ts";
import { formatPointwise, type PointwiseOp, verifyPointwise } from "./pointwise-ir.ts";

export type TensorRole = "param" | "input" | "state" | "temp";

export interface KTensor {
  readonly id: string;
  readonly dtype: DType;
  /** Product of every axis but the last (a vector per row per 320-lane column tile). */
  readonly rows: number;
  /** The last axis. */
  readonly cols: number;
  readonly role: TensorRole;
  /** The model's original shape, for reporting and for reading seeded values back. */
  readonly shape: readonly number[];
  /** For a param, input or state: the graph node whose seeded values fill it, and whether they are stored
   * transposed (a matmul weight [K, N] is kept as [N, K]: the MXM takes weight rows per output lane). */
  readonly source?: TensorSource;
  /** A compiler constant with one value in every element of its [rows, cols] (a ones matrix): any two of its column
   * tiles lying wholly inside `cols` hold the same values, so a product's chain need not load the second
   * (tile-context.ts kChain). */
  readonly oneValue?: true;
}

export interface TensorSource {
  readonly node: string;
  readonly transposed: boolean;
  /** With `transposed`: the values are this many [K, N] matrices one after another, each stored as [N, K] (moe's
   * expert weights [E, D, F] as [E*F, D]). Absent: 1. */
  readonly batches?: number;
  /** Source rows `first .. first + count - 1` stored from row `at` on, every other row zero: one id range of an
   * embedding table laid out for `gather` (kernel-builder.ts `tableRange`). Absent: every row, from row 0. */
  readonly rows?: { readonly first: number; readonly count: number; readonly at: number };
}

export type UnaryFn = "relu" | "neg" | "abs" | "exp" | "tanh" | "rsqrt" | "recip" | "copy";
export type BinaryFn = "add" | "mul" | "sub" | "max" | "min";

/** A pointwise op applied to a matmul's result on its way from the accumulator to SRAM (no SRAM round trip). */
export type EpilogueOp =
  | { readonly kind: "unary"; readonly fn: UnaryFn }
  /** `x fn b` with `b` a single row broadcast over the rows (a bias). */
  | { readonly kind: "row"; readonly fn: BinaryFn; readonly b: string }
  | { readonly kind: "imm"; readonly fn: BinaryFn; readonly imm: number }
  /** The value so far, in the accumulator's type, rounded to the product's out type (fuse.ts): the ops before it
   * run in the accumulator's type, the ops after it in the out type. At most one, only when out is narrower. */
  | { readonly kind: "convert" };

export type KOp =
  /** out[m, n] = epilogue(sum over k of a[m, k] * b[n, k]): `b` is stored with one row per output column. */
  | {
      readonly kind: "matmul";
      readonly id: string;
      readonly a: string;
      readonly b: string;
      readonly out: string;
      readonly epilogue?: readonly EpilogueOp[];
      /** Column tiles k0 <= i < k1 of `a` that may be nonzero (320 lanes each); the others are exactly 0 and are
       * skipped: a masked attention head touches only its own lanes' tiles. Absent: all of them. */
      readonly kTiles?: readonly [number, number];
      /** How `b` is stored, when not as the full [out cols, a cols] (constants are mostly zero or repeat). */
      readonly bLayout?: WeightLayout;
      /** Run in pipeline-sized row chunks though over one K tile (the lane sums of a layernorm's folded squares,
       * lower-reduce.ts `foldedSquares`): its rows come in chunks and its readers go on by rows. Absent:
       * product-groups.ts `groupRows`. */
      readonly rowChunks?: true;
    }
  /** `b` is either the same shape as `a` or a single row broadcast over a's rows (a bias); with `bTile`, b is one
   * 320-lane column tile repeated over a's column tiles (a lane sum, the same in every lane, broadcast to a row
   * of any width), or a few copies of it, each repeated over a run of a's tiles (kernel-builder.ts
   * `repeatedTile`), rows as before. */
  | {
      readonly kind: "binary";
      readonly id: string;
      readonly fn: BinaryFn;
      readonly a: string;
      readonly b: string;
      readonly out: string;
      readonly bTile?: boolean;
    }
  /** `x fn imm` with a broadcast scalar (scale is `mul` by the factor). */
  | {
      readonly kind: "binaryImm";
      readonly id: string;
      readonly fn: BinaryFn;
      readonly x: string;
      readonly imm: number;
      readonly out: string;
    }
  | {
      readonly kind: "unary";
      readonly id: string;
      readonly fn: UnaryFn;
      readonly x: string;
      readonly out: string;
    }
  /** out[r] = table[min(max(ids[r] + offset, 0), table.rows - 1)], ids an int32 column ([rows, 1]) of values in
   * [0, idEnd): a MEM `gather` per column tile and byte plane of the table, which is stored one block per tile
   * (every row of a tile in one slice per plane, so a row index is a word address). The clamps are emitted only
   * where ids + offset can leave the table. */
  | {
      readonly kind: "gather";
      readonly id: string;
      readonly table: string;
      readonly ids: string;
      readonly offset: number;
      readonly idEnd: number;
      readonly out: string;
    }
  /** A tree of the pointwise ops above run as one task per tile (pointwise-ir.ts). */
  | PointwiseOp
  /** Element type change (to the out tensor's dtype), rounded once. */
  | { readonly kind: "convert"; readonly id: string; readonly x: string; readonly out: string }
  /** out = the listed row ranges of other tensors (same cols and dtype), one after another: a concatenation
   * along the rows (keys of a KV cache followed by the new ones; one batch's rows). Copied through the VXM. */
  | {
      readonly kind: "copyRows";
      readonly id: string;
      readonly parts: readonly RowRange[];
      readonly out: string;
    };

/**
 * A matmul weight stored smaller than [out cols, a cols]:
 * - `band`: only output column tiles n0 <= j < n1 are computed (b's row r is output lane n0 * 320 + r) and only
 *   a's column tiles from kTiles[0] on meet weights (b's column c is a's column kTiles[0] * 320 + c); every other
 *   output tile is exactly 0 (written as zeros). A lane move's selection matrix is one such block.
 * - `diagonal`: output tile j reads only a's column tiles j - below .. j + above (the others meet zeros): b holds,
 *   for each output lane, those (below + above + 1) * 320 columns, b's column tile t meeting a's tile
 *   j - below + t. A lane permutation that moves lanes less than a tile or so (rope's rotate-half).
 * - `window`: b is stored whole (as without a layout), but only output column tiles n0 <= j < n1 are computed;
 *   every other output tile is exactly 0. One attention head's lanes of p . V^T. With `lanes` [l0, l1), only
 *   those output lanes are exact: a tile loads only b's rows l0 .. l1 - 1 it holds (the plane's other rows keep
 *   an earlier load's finite weights), so the reader must mask the other lanes (an attention head's lane mask).
 */
export type WeightLayout =
  | { readonly kind: "band"; readonly nTiles: readonly [number, number] }
  | {
      readonly kind: "window";
      readonly nTiles: readonly [number, number];
      readonly lanes?: readonly [number, number];
    }
  | { readonly kind: "diagonal"; readonly below: number; readonly above: number };

export interface RowRange {
  readonly x: string;
  readonly row0: number;
  readonly n: number;
}

export interface KernelGraph {
  readonly name: string;
  /** Sorted by id. */
  readonly tensors: readonly KTensor[];
  /** In a topological order. */
  readonly ops: readonly KOp[];
  /** Model outputs in declaration order: the output's name and the tensor holding it. */
  readonly outputs: readonly { readonly name: string; readonly tensor: string }[];
  /** The batch size: sequences per pass. */
  readonly batch: number;
  /** New tokens per pass (batch * seq: seq > 1 is a prefill), for tokens/s. */
  readonly tokensPerPass: number;
  /** Values of the constants the compiler made (ones matrices, lane masks, selection matrices, rope tables), by
   * the `source.node` of their tensors (`const.*`); the emitter loads them like seeded parameters. */
  readonly constants?: ReadonlyMap<string, Float64Array>;
}

/** An op of a `repeat`'s instance k of block B is named `B.k.…` (decompose): groups 1 and 2 are B and k. */
export const REPEAT_INSTANCE = /^([A-Za-z_]\w*)\.(\d+)\./;

export function opInputs(op: KOp): string[] {
  switch (op.kind) {
    case "matmul":
      return [op.a, op.b, ...(op.epilogue ?? []).flatMap((e) => (e.kind === "row" ? [e.b] : []))];
    case "binary":
      return [op.a, op.b];
    case "binaryImm":
    case "unary":
    case "convert":
      return [op.x];
    case "gather":
      return [op.table, op.ids];
    case "copyRows":
      return [...new Set(op.parts.map((p) => p.x))];
    case "pointwise":
      return [...op.inputs];
    default:
      return assertNever(op, "kernel op");
  }
}

export function formatKernelOp(op: KOp): string {
  switch (op.kind) {
    case "matmul": {
      const kt = op.kTiles ? ` (k tiles ${op.kTiles[0]}..${op.kTiles[1] - 1})` : "";
      const lay = !op.bLayout
        ? ""
        : op.bLayout.kind === "diagonal"
          ? ` (b diagonal, k tiles j-${op.bLayout.below}..j+${op.bLayout.above})`
          : op.bLayout.kind === "window"
            ? ` (n tiles ${op.bLayout.nTiles[0]}..${op.bLayout.nTiles[1] - 1}${op.bLayout.lanes ? `, lanes ${op.bLayout.lanes[0]}..${op.bLayout.lanes[1] - 1}` : ""})`
            : ` (n tiles ${op.bLayout.nTiles[0]}..${op.bLayout.nTiles[1] - 1}, b from k tile ${op.kTiles?.[0] ?? 0})`;
      const epi = (op.epilogue ?? []).map((e) =>
        e.kind === "unary"
          ? e.fn
          : e.kind === "row"
            ? `${e.fn} ${e.b}`
            : e.kind === "convert"
              ? `convert ${op.out}`
              : `${e.fn} #${e.imm}`,
      );
      return `${op.out} = matmul ${op.a}, rows ${op.b}${kt}${lay}${epi.map((e) => ` | ${e}`).join("")}`;
    }
    case "binary":
      return `${op.out} = ${op.fn} ${op.a}, ${op.b}${op.bTile ? " (b tile repeated)" : ""}`;
    case "binaryImm":
      return `${op.out} = ${op.fn} ${op.x}, #${op.imm}`;
    case "unary":
      return `${op.out} = ${op.fn} ${op.x}`;
    case "convert":
      return `${op.out} = convert ${op.x}`;
    case "gather":
      return `${op.out} = gather ${op.table}, rows ${op.ids}${op.offset === 0 ? "" : ` ${op.offset > 0 ? "+" : "-"} ${Math.abs(op.offset)}`} (ids < ${op.idEnd})`;
    case "copyRows":
      return `${op.out} = rows ${op.parts.map((p) => `${p.x}[${p.row0}+${p.n}]`).join(", ")}`;
    case "pointwise":
      return formatPointwise(op);
    default:
      return assertNever(op, "kernel op");
  }
}

export function printKernelGraph(k: KernelGraph): string {
  const lines = [
    `kernel ${k.name} (batch ${k.batch}; matmul a, rows b: out[m, n] = sum_k a[m, k] * b[n, k])`,
  ];
  for (const t of k.tensors) {
    const src = t.source;
    const rows = src?.rows ? `[${src.rows.first}+${src.rows.count} at ${src.rows.at}]` : "";
    const from =
      src && (src.node !== t.id || src.transposed || src.rows)
        ? ` = ${src.node}${src.transposed ? "^T" : ""}${rows}`
        : "";
    lines.push(`  ${t.role} ${t.id}: ${t.dtype}[${t.rows} x ${t.cols}]${from}`);
  }
  for (const op of k.ops) lines.push(`  ${formatKernelOp(op)}`);
  for (const o of k.outputs) lines.push(`  output ${o.name} = ${o.tensor}`);
  return `${lines.join("\n")}\n`;
}

/** Internal consistency: returns the broken rules (empty when the graph is well formed). */
export function verifyKernelGraph(k: KernelGraph): string[] {
  const errors: string[] = [];
  const byId = new Map(k.tensors.map((t) => [t.id, t]));
  const defined = new Set(k.tensors.filter((t) => t.role !== "temp").map((t) => t.id));
  for (const op of k.ops) {
    for (const i of opInputs(op))
      if (!defined.has(i)) errors.push(`${op.id}: reads '${i}' before it is defined`);
    if (defined.has(op.out)) errors.push(`${op.id}: defines '${op.out}' twice`);
    defined.add(op.out);
    const out = byId.get(op.out);
    if (!out) {
      errors.push(`${op.id}: no tensor '${op.out}'`);
      continue;
    }
    if (op.kind === "matmul") {
      const a = byId.get(op.a);
      const b = byId.get(op.b);
      // b may have rows beyond out's width (up to its padded width, checked by tile): they fill the padding lanes
      // with defined values, so a lane reduction's result is finite in every lane.
      if (a && b && !weightFits(op, a, b, out))
        errors.push(
          `${op.id}: matmul shapes [${a.rows}x${a.cols}] x [${b.rows}x${b.cols}]^T -> [${out.rows}x${out.cols}]`,
        );
    }
    if (op.kind === "binary") {
      const a = byId.get(op.a);
      const b = byId.get(op.b);
      const colsFit = op.bTile
        ? a !== undefined && b !== undefined && repeatsTiles(b, a)
        : a?.cols === b?.cols;
      if (a && b && (!colsFit || (b.rows !== a.rows && b.rows !== 1)))
        errors.push(`${op.id}: cannot broadcast [${b.rows}x${b.cols}] over [${a.rows}x${a.cols}]`);
    }
    if (op.kind === "gather") {
      const table = byId.get(op.table);
      const ids = byId.get(op.ids);
      if (ids && (ids.dtype !== "int32" || ids.cols !== 1 || ids.rows !== out.rows))
        errors.push(`${op.id}: ids must be an int32 column of ${out.rows} rows`);
      if (table && (table.cols !== out.cols || table.role === "temp"))
        errors.push(`${op.id}: the table must be a stored [rows, ${out.cols}] tensor`);
    }
    if (op.kind === "pointwise") errors.push(...verifyPointwise(op, byId));
    if (op.kind === "copyRows") {
      const n = op.parts.reduce((s, p) => s + p.n, 0);
      for (const p of op.parts) {
        const x = byId.get(p.x);
        if (x && (x.cols !== out.cols || x.dtype !== out.dtype || p.row0 + p.n > x.rows))
          errors.push(`${op.id}: rows ${p.row0}+${p.n} of ${p.x} do not fit ${out.id}`);
      }
      if (n !== out.rows) errors.push(`${op.id}: ${n} rows copied into ${out.rows}`);
    }
  }
  for (const o of k.outputs)
    if (!defined.has(o.tensor)) errors.push(`output ${o.name}: no tensor '${o.tensor}'`);
  return errors;
}

/** Whether b covers what the matmul reads of it: every K column of a (or, for a band, the ones from kTiles[0] on)
 * and a row for every output lane computed. */
function weightFits(op: Extract<KOp, { kind: "matmul" }>, a: KTensor, b: KTensor, out: KTensor): boolean {
  if (out.rows !== a.rows) return false;
  const lay = op.bLayout;
  if (!lay || lay.kind === "window") return a.cols === b.cols && b.rows >= out.cols;
  if (lay.kind === "diagonal") return b.cols === (lay.below + lay.above + 1) * LANES && b.rows >= out.cols;
  const k0 = op.kTiles?.[0] ?? 0;
  const [n0, n1] = lay.nTiles;
  return (
    b.cols <= a.cols - k0 * LANES &&
    b.rows >= Math.min(out.cols, n1 * LANES) - n0 * LANES &&
    b.rows <= (n1 - n0) * LANES
  );
}
