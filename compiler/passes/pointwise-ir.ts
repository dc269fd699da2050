// The kernel IR's fused pointwise op (`fuse.ts` `fusePointwise` makes it): a tree of VXM ops over a few input
// tensors, run as one task per tile and row chunk (read each input once -> VXM steps -> one write), so the values
// in between never round-trip through SRAM. Here: its steps, their element types, printing and the IR's rules.
import { assertNever } from "../../util/assert.ts";
import type { DType } from "../graph/ir.ts";
import { LANES, repeatsTiles } from "./kernel-builder.ts";
import type { BinaryFn, KTensor, UnaryFn } from "./kernel-ir.ts";

/** One VXM op of a fused pointwise op. Operands are value numbers: `v < inputs.length` is input `v`, otherwise
 * the result of step `v - inputs.length`. */
export type PointwiseStep =
  | { readonly kind: "unary"; readonly fn: UnaryFn; readonly x: number }
  | { readonly kind: "binary"; readonly fn: BinaryFn; readonly a: number; readonly b: number }
  | { readonly kind: "imm"; readonly fn: BinaryFn; readonly x: number; readonly imm: number }
  /** Rounded once to `to`. */
  | { readonly kind: "convert"; readonly x: number; readonly to: DType };

export interface PointwiseOp {
  readonly kind: "pointwise";
  readonly id: string;
  /** Each read once by the task: shaped like `out`, one row broadcast over out's rows, or one 320-lane column
   * tile (or a few copies of it) repeated over out's column tiles (a lane sum's broadcast; see `inputView`). */
  readonly inputs: readonly string[];
  /** In order; the last step's value is `out` (whose dtype is that step's). */
  readonly steps: readonly PointwiseStep[];
  readonly out: string;
  /** Per input, the column tile of it the task reads, for an out of one tile: a row's column tiles folded into
   * one (lower-reduce.ts `foldTiles`), so one tensor may be an input more than once, at distinct tiles. Absent:
   * each input at out's tile (or the tile `inputView` repeats). */
  readonly inputTiles?: readonly number[];
}

type Shape2 = { readonly rows: number; readonly cols: number };

/** How the task reads input `x` for output `out`: its rows as out's (or row 0 every time) and its column tile as
 * out's (or, `tileRepeated`, the copy of one tile that serves out's tile: kernel-builder.ts `repeatedTile`). */
export function inputView(x: Shape2, out: Shape2): { rowBroadcast: boolean; tileRepeated: boolean } {
  return {
    rowBroadcast: x.rows === 1 && out.rows > 1,
    tileRepeated: repeatsTiles(x, out),
  };
}

export function stepOperands(s: PointwiseStep): number[] {
  return s.kind === "binary" ? [s.a, s.b] : [s.x];
}

/** The element type of every value (inputs, then steps): a step keeps its first operand's, a convert gives its
 * own. */
export function valueTypes(op: PointwiseOp, dtypeOf: (tensor: string) => DType): DType[] {
  const types = op.inputs.map(dtypeOf);
  for (const s of op.steps) types.push(s.kind === "convert" ? s.to : types[s.kind === "binary" ? s.a : s.x]!);
  return types;
}

/** `out = pointwise f(%0, %1, ...) [%0 = x, ...]`: the tree as one nested expression. */
export function formatPointwise(op: PointwiseOp): string {
  const n = op.inputs.length;
  const expr = (v: number): string => {
    if (v < n) return `%${v}`;
    const s = op.steps[v - n]!;
    switch (s.kind) {
      case "unary":
        return `${s.fn}(${expr(s.x)})`;
      case "binary":
        return `${s.fn}(${expr(s.a)}, ${expr(s.b)})`;
      case "imm":
        return `${s.fn}(${expr(s.x)}, #${s.imm})`;
      case "convert":
        return `${s.to}(${expr(s.x)})`;
      default:
        return assertNever(s, "pointwise step");
    }
  };
  const ins = op.inputs
    .map((x, i) => `%${i} = ${x}${op.inputTiles ? ` tile ${op.inputTiles[i]}` : ""}`)
    .join(", ");
  return `${op.out} = pointwise ${expr(n + op.steps.length - 1)} [${ins}]`;
}

/** The rules a task's stream tree needs: inputs distinct (a tensor read twice by one task would meet itself in
 * its slices), every value but the last read by exactly one step (both operands of one step may be the same
 * value), operands earlier than their step, binary operands of one type, inputs shaped as `inputView` allows
 * (or, read at fixed tiles, each at one of its own tiles into an out of one tile). */
export function verifyPointwise(op: PointwiseOp, byId: ReadonlyMap<string, KTensor>): string[] {
  const errors: string[] = [];
  const n = op.inputs.length;
  if (op.steps.length === 0) errors.push(`${op.id}: a pointwise op without steps`);
  const reads = op.inputs.map((x, i) => (op.inputTiles ? `${x}@${op.inputTiles[i]}` : x));
  if (new Set(reads).size !== n) errors.push(`${op.id}: an input is read twice`);
  if (op.inputTiles && op.inputTiles.length !== n) errors.push(`${op.id}: inputTiles is not one per input`);
  const readBy = new Array<number>(n + op.steps.length).fill(-1);
  op.steps.forEach((s, i) => {
    for (const v of new Set(stepOperands(s))) {
      if (v < 0 || v >= n + i) errors.push(`${op.id}: step ${i} reads value ${v} before it exists`);
      else if (readBy[v] !== -1) errors.push(`${op.id}: value ${v} is read by two steps`);
      else readBy[v] = i;
    }
  });
  readBy.forEach((r, v) => {
    if (r === -1 && v !== readBy.length - 1) errors.push(`${op.id}: value ${v} is never read`);
  });
  const out = byId.get(op.out);
  const dtypeOf = (x: string) => byId.get(x)?.dtype ?? "fp32";
  const types = valueTypes(op, dtypeOf);
  op.steps.forEach((s, i) => {
    if (s.kind === "binary" && types[s.a] !== types[s.b])
      errors.push(`${op.id}: step ${i} combines ${types[s.a]} and ${types[s.b]}`);
  });
  if (out && types[types.length - 1] !== out.dtype)
    errors.push(`${op.id}: computes ${types[types.length - 1]} into ${out.dtype} '${op.out}'`);
  for (const [i, x] of op.inputs.entries()) {
    const t = byId.get(x);
    if (!t || !out) continue;
    if (op.inputTiles) {
      if (out.cols > LANES || (t.rows !== out.rows && t.rows !== 1))
        errors.push(`${op.id}: input [${t.rows}x${t.cols}] read by tiles into [${out.rows}x${out.cols}]`);
      const j = op.inputTiles[i];
      const tiles = Math.ceil(t.cols / LANES);
      if (j !== undefined && !(Number.isInteger(j) && j >= 0 && j < tiles))
        errors.push(`${op.id}: input ${i} '${x}' read at tile ${j}, not one of its ${tiles}`);
      continue;
    }
    const view = inputView(t, out);
    if ((t.rows !== out.rows && !view.rowBroadcast) || (t.cols !== out.cols && !view.tileRepeated))
      errors.push(`${op.id}: input [${t.rows}x${t.cols}] does not broadcast over [${out.rows}x${out.cols}]`);
  }
  return errors;
}
