// Which column tiles of each kernel tensor are exactly zero, known from the ops alone. In: a kernel graph. Out: per
// tensor, its zero tiles (absent: none known). Guarantees a listed tile is zero in every lane and row for any
// finite inputs, so an add of it may be left out (tile-context.ts `finish`): the attention heads' sum is a tree of
// full-width adds of lane moves (lower-attention.ts), each nonzero in a few tiles only.

import { LANES } from "./kernel-builder.ts";
import { type KernelGraph, type KOp, opInputs } from "./kernel-ir.ts";

/** Unary functions with f(0) = 0 exactly. */
const KEEPS_ZERO = new Set(["relu", "neg", "abs", "tanh", "copy"]);

export function zeroTiles(g: KernelGraph): ReadonlyMap<string, ReadonlySet<number>> {
  const zeros = new Map<string, Set<number>>();
  const cols = new Map(g.tensors.map((t) => [t.id, t.cols]));
  const zeroIn = (x: string) => zeros.get(x) ?? new Set<number>();
  const keep = (out: string, tiles: Set<number>) => {
    if (tiles.size > 0) zeros.set(out, tiles);
  };
  for (const op of g.ops) keep(op.out, zerosOf(op));

  function zerosOf(op: KOp): Set<number> {
    switch (op.kind) {
      case "matmul": {
        const lay = op.bLayout;
        if (lay?.kind !== "band" && lay?.kind !== "window") return new Set();
        const tiles = Math.ceil(cols.get(op.out)! / LANES);
        let z = new Set<number>();
        for (let j = 0; j < tiles; j++) if (j < lay.nTiles[0] || j >= lay.nTiles[1]) z.add(j);
        for (const e of op.epilogue ?? []) {
          if (e.kind === "unary" && KEEPS_ZERO.has(e.fn)) continue;
          if (e.kind === "imm" && e.fn === "mul") continue;
          if (e.kind === "row" && (e.fn === "add" || e.fn === "sub")) {
            const b = zeroIn(e.b);
            z = new Set([...z].filter((j) => b.has(j)));
            continue;
          }
          return new Set();
        }
        return z;
      }
      case "convert":
        return new Set(zeroIn(op.x));
      case "unary":
        return KEEPS_ZERO.has(op.fn) ? new Set(zeroIn(op.x)) : new Set();
      case "binary": {
        if (op.bTile || (op.fn !== "add" && op.fn !== "sub")) return new Set();
        const b = zeroIn(op.b);
        return new Set([...zeroIn(op.a)].filter((j) => b.has(j)));
      }
      case "binaryImm":
      case "gather":
      case "copyRows":
      case "pointwise":
        return new Set();
    }
  }
  return zeros;
}

/** The zero tiles no task reads, so none need be written: those of a tensor that only epilogue adds (and subs)
 * read, which leave its zero tiles out. The heads' lane moves are 26 tiles wide and nonzero in one or two. */
export function unreadZeroTiles(
  g: KernelGraph,
  zeros: ReadonlyMap<string, ReadonlySet<number>>,
): ReadonlyMap<string, ReadonlySet<number>> {
  const otherwise = new Set(g.outputs.map((o) => o.tensor));
  for (const op of g.ops) {
    if (op.kind !== "matmul") {
      for (const x of opInputs(op)) otherwise.add(x);
      continue;
    }
    otherwise.add(op.a);
    otherwise.add(op.b);
    for (const e of op.epilogue ?? [])
      if (e.kind === "row" && e.fn !== "add" && e.fn !== "sub") otherwise.add(e.b);
  }
  return new Map([...zeros].filter(([x]) => !otherwise.has(x)));
}
