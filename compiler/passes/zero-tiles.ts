// Which column tiles of each kernel tensor are exactly zero, known from the ops and the compiler's constants. In: a
// kernel graph. Out: per tensor, its zero tiles (absent: none known). Guarantees a listed tile is zero in every lane
// and row for any finite inputs, so an add of it may be left out (tile-context.ts `finish`, tile.ts for VXM ops):
// the attention heads' sum is a tree of full-width adds of lane moves (lower-attention.ts), or of products masked to
// a head's lanes, each nonzero in a few tiles only.

import { LANES } from "./kernel-builder.ts";
import { type KernelGraph, type KOp, opInputs } from "./kernel-ir.ts";
import { inputView, type PointwiseOp } from "./pointwise-ir.ts";

/** Unary functions with f(0) = 0 exactly. */
const KEEPS_ZERO = new Set(["relu", "neg", "abs", "tanh", "copy"]);

export function zeroTiles(g: KernelGraph): ReadonlyMap<string, ReadonlySet<number>> {
  const zeros = new Map<string, Set<number>>();
  const byId = new Map(g.tensors.map((t) => [t.id, t]));
  const tilesOf = (x: string) => Math.ceil(byId.get(x)!.cols / LANES);
  const constant = new Map<string, Set<number>>();
  const zeroIn = (x: string) => zeros.get(x) ?? constant.get(x) ?? constantZeros(x);
  const keep = (out: string, tiles: Set<number>) => {
    if (tiles.size > 0) zeros.set(out, tiles);
  };
  for (const op of g.ops) keep(op.out, zerosOf(op));

  /** A constant's tiles whose every value is 0 (a lane mask is zero outside its lanes), found once. */
  function constantZeros(x: string): Set<number> {
    const t = byId.get(x);
    const values = t?.role === "param" && !t.source?.transposed ? g.constants?.get(x) : undefined;
    const z = new Set<number>();
    if (!t || !values || values.length !== t.rows * t.cols) return z;
    for (let j = 0; j < tilesOf(x); j++) {
      let zero = true;
      for (let r = 0; r < t.rows && zero; r++)
        for (let c = j * LANES; c < Math.min(t.cols, (j + 1) * LANES) && zero; c++)
          zero = values[r * t.cols + c] === 0;
      if (zero) z.add(j);
    }
    constant.set(x, z);
    if (z.size > 0) zeros.set(x, z);
    return z;
  }

  function zerosOf(op: KOp): Set<number> {
    switch (op.kind) {
      case "matmul": {
        const lay = op.bLayout;
        let z = new Set<number>();
        if (lay?.kind === "band" || lay?.kind === "window")
          for (let j = 0; j < tilesOf(op.out); j++) if (j < lay.nTiles[0] || j >= lay.nTiles[1]) z.add(j);
        for (const e of op.epilogue ?? []) {
          if (e.kind === "unary" && KEEPS_ZERO.has(e.fn)) continue;
          if (e.kind === "imm" && e.fn === "mul") continue;
          if (e.kind === "convert") continue;
          if (e.kind === "row" && (e.fn === "add" || e.fn === "sub")) {
            const b = zeroIn(e.b);
            z = new Set([...z].filter((j) => b.has(j)));
          } else if (e.kind === "row" && e.fn === "mul") z = new Set([...z, ...zeroIn(e.b)]);
          else z = new Set();
        }
        return z;
      }
      case "convert":
        return new Set(zeroIn(op.x));
      case "unary":
        return KEEPS_ZERO.has(op.fn) ? new Set(zeroIn(op.x)) : new Set();
      case "binary": {
        if (op.bTile) return new Set();
        const [a, b] = [zeroIn(op.a), zeroIn(op.b)];
        if (op.fn === "mul") return new Set([...a, ...b]);
        if (op.fn !== "add" && op.fn !== "sub") return new Set();
        return new Set([...a].filter((j) => b.has(j)));
      }
      case "pointwise": {
        const z = new Set<number>();
        const ins = pointwiseZeroInputs(op, (x) => byId.get(x)!, zeroIn);
        for (let j = 0; j < tilesOf(op.out); j++) if (pointwiseAtTile(op, ins(j)).zero) z.add(j);
        return z;
      }
      case "binaryImm":
        return op.fn === "mul" ? new Set(zeroIn(op.x)) : new Set();
      case "copyRows": {
        // A tile is zero in the copy when it is zero in every part (attention's stacked query heads: moves).
        const [first, ...rest] = op.parts.map((p) => zeroIn(p.x));
        return new Set([...(first ?? [])].filter((j) => rest.every((z) => z.has(j))));
      }
      case "gather":
        return new Set();
    }
  }
  return zeros;
}

type Shape = { readonly rows: number; readonly cols: number };

/** Per output tile j, which of a pointwise op's inputs are zero there (an input repeated over tiles: never). */
export function pointwiseZeroInputs(
  op: PointwiseOp,
  shape: (x: string) => Shape,
  zeroIn: (x: string) => ReadonlySet<number> | undefined,
): (j: number) => boolean[] {
  const out = shape(op.out);
  const sets = op.inputs.map((x) =>
    !op.inputTiles && inputView(shape(x), out).tileRepeated ? undefined : zeroIn(x),
  );
  return (j) => sets.map((z, i) => z?.has(op.inputTiles ? op.inputTiles[i]! : j) ?? false);
}

/** A fused pointwise op at one output tile whose zero inputs are known. */
export interface PointwiseTile {
  /** The result is zero there. */
  readonly zero: boolean;
  /** Per value (inputs, then steps): the task computes it (a zero addend, and what only it needs, is left out). */
  readonly needed: readonly boolean[];
  /** Per value: the value it equals there (itself, or the other operand of an add whose one operand is zero). */
  readonly same: readonly number[];
  /** The value the result equals (`same` of the last step). */
  readonly result: number;
}

/** Leaves out of a pointwise op, at a tile, the adds (and subtrahends) of values known to be zero there: `x + 0`
 * is `x` exactly. A product with a zero operand is zero; an add of two zeros is zero. */
export function pointwiseAtTile(op: PointwiseOp, inputZero: readonly boolean[]): PointwiseTile {
  const n = op.inputs.length;
  const zero = [...inputZero];
  const same = inputZero.map((_, i) => i);
  op.steps.forEach((s, i) => {
    const v = n + i;
    same[v] = v;
    if (s.kind === "binary") {
      const [a, b] = [same[s.a]!, same[s.b]!];
      if (s.fn === "mul") zero[v] = zero[a]! || zero[b]!;
      else if (s.fn === "add" || s.fn === "sub") {
        zero[v] = zero[a]! && zero[b]!;
        if (!zero[v] && zero[b]!) same[v] = a;
        else if (!zero[v] && zero[a]! && s.fn === "add") same[v] = b;
      } else zero[v] = false;
    } else if (s.kind === "convert") zero[v] = zero[same[s.x]!]!;
    else if (s.kind === "unary") zero[v] = KEEPS_ZERO.has(s.fn) && zero[same[s.x]!]!;
    else zero[v] = s.fn === "mul" && zero[same[s.x]!]!;
  });
  const result = same[n + op.steps.length - 1]!;
  const needed = zero.map(() => false);
  const need = (v: number) => {
    const r = same[v]!;
    if (needed[r]) return;
    needed[r] = true;
    if (r >= n) for (const x of stepOperands(op, r - n)) need(x);
  };
  need(result);
  return { zero: zero[result]!, needed, same, result };
}

function stepOperands(op: PointwiseOp, i: number): number[] {
  const s = op.steps[i]!;
  return s.kind === "binary" ? [s.a, s.b] : [s.x];
}

/** The zero tiles no task reads, so none need be written: those every reader leaves out. An epilogue add (or sub)
 * of a product leaves out a zero tile of its operand; a pointwise op (a binary add or sub too) leaves out a zero
 * input that only an add uses there, and makes no task for a zero output tile nobody reads. The heads' lane moves
 * are 26 tiles wide and nonzero in one or two. Ops are visited last first, so a result's readers come before it. */
export function unreadZeroTiles(
  g: KernelGraph,
  zeros: ReadonlyMap<string, ReadonlySet<number>>,
): ReadonlyMap<string, ReadonlySet<number>> {
  const byId = new Map(g.tensors.map((t) => [t.id, t]));
  const tilesOf = (x: string) => Math.ceil(byId.get(x)!.cols / LANES);
  const whole = new Set(g.outputs.map((o) => o.tensor));
  const some = new Map<string, Set<number>>();
  const readAt = (x: string, j: number) => (some.get(x) ?? some.set(x, new Set()).get(x)!).add(j);
  const unread = new Map<string, Set<number>>();
  for (let i = g.ops.length - 1; i >= 0; i--) {
    const op = g.ops[i]!;
    const z = zeros.get(op.out);
    const pw = asPointwise(op);
    // Only a product's and a pointwise op's lowering leave an unread zero tile unmade (tile-matmul.ts, tile.ts).
    const skips = op.kind === "matmul" || pw !== undefined;
    const u = new Set(
      whole.has(op.out) || !skips ? [] : [...(z ?? [])].filter((j) => !some.get(op.out)?.has(j)),
    );
    if (u.size > 0) unread.set(op.out, u);
    if (
      pw &&
      !pw.inputTiles &&
      !pw.inputs.some((x) => inputView(byId.get(x)!, byId.get(op.out)!).tileRepeated)
    ) {
      const ins = pointwiseZeroInputs(
        pw,
        (x) => byId.get(x)!,
        (x) => zeros.get(x),
      );
      for (let j = 0; j < tilesOf(op.out); j++) {
        if (u.has(j)) continue;
        const at = pointwiseAtTile(pw, ins(j));
        pw.inputs.forEach((x, k) => {
          if (at.zero || at.needed[k]) readAt(x, j);
        });
      }
      continue;
    }
    if (op.kind === "copyRows" && !whole.has(op.out)) {
      // A row copy reads each part at the tiles of the copy that are read (tile-live.ts makes only those).
      for (const j of some.get(op.out) ?? []) for (const part of op.parts) readAt(part.x, j);
      continue;
    }
    if (op.kind !== "matmul") {
      for (const x of opInputs(op)) whole.add(x);
      continue;
    }
    // A product reads a only at its K tiles (tile-matmul.ts; its zero tiles' finite source is a's first K tile).
    if (op.kTiles) for (let j = op.kTiles[0]; j < op.kTiles[1]; j++) readAt(op.a, j);
    else whole.add(op.a);
    whole.add(op.b);
    for (const e of op.epilogue ?? []) {
      if (e.kind !== "row") continue;
      if (e.fn !== "add" && e.fn !== "sub") whole.add(e.b);
      else for (let j = 0; j < tilesOf(op.out); j++) if (!u.has(j) && !zeros.get(e.b)?.has(j)) readAt(e.b, j);
    }
  }
  return new Map([...unread].filter(([x]) => !whole.has(x)));
}

/** A binary add or sub of two tensors of one shape as the one-step pointwise op it is; a pointwise op as itself. */
export function asPointwise(op: KOp): PointwiseOp | undefined {
  if (op.kind === "pointwise") return op;
  if (op.kind !== "binary" || op.bTile || (op.fn !== "add" && op.fn !== "sub")) return undefined;
  return {
    kind: "pointwise",
    id: op.id,
    inputs: op.a === op.b ? [op.a] : [op.a, op.b],
    steps: [{ kind: "binary", fn: op.fn, a: 0, b: op.a === op.b ? 0 : 1 }],
    out: op.out,
  };
}
