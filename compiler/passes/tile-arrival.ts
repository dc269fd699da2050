// The order a product's input tiles are expected to be ready in, for the K chains of a column split
// (tile-column-planes.ts). An attention's output `a` is the sum of its kv heads' parts, each nonzero in its own
// lanes' tiles only (zero-tiles.ts), and the heads do not finish together: two kv heads on one chip run their
// products over the cache one after the other on its MXM, so the second one's tiles come last. A chain fixed in K
// order waited on them while the tiles after them were already there (llama2-70b-fp8: kv heads 0 and 2 on chip 0,
// o's chains stalled on tiles 6..9).
// In: the partitioned graph (kernel ops in list order, each on its stage's first chip) and the known zero tiles.
// Out: per tile of a tensor, a rank: how many products over a KV cache (a `state` weight) queue before it on one
// chip, along its chain of inputs; a sum's tile is as late as its latest nonzero operand's tile. A rank for
// ordering only, never a time; equal ranks keep K order.

import { LANES } from "./kernel-builder.ts";
import type { KOp } from "./kernel-ir.ts";
import { opInputs } from "./kernel-ir.ts";
import type { PartitionedGraph } from "./partition.ts";

export type TileRank = (tensor: string, tile: number) => number;

export function tileRanks(p: PartitionedGraph, zeros: ReadonlyMap<string, ReadonlySet<number>>): TileRank {
  const k = p.kernel;
  const byId = new Map(k.tensors.map((t) => [t.id, t]));
  const tilesOf = (x: string) => Math.ceil((byId.get(x)?.cols ?? 1) / LANES);
  const producer = new Map<string, KOp>();
  const rank = new Map<string, number>();
  /** A product's rank from its own operands, before its epilogue's adds (tileRank takes those per tile). */
  const own = new Map<string, number>();
  /** Per chip: the rank of its last product over a cache. */
  const queue = new Map<number, number>();
  for (const op of k.ops) {
    producer.set(op.out, op);
    const chip = p.chipOf.get(op.out) ?? 0;
    const queued = op.kind === "matmul" && byId.get(op.b)?.role === "state";
    const from = (xs: readonly string[]) =>
      Math.max(queued ? (queue.get(chip) ?? 0) : 0, ...xs.map((x) => rank.get(x) ?? 0)) + (queued ? 1 : 0);
    if (op.kind === "matmul") own.set(op.out, from([op.a, op.b]));
    const r = from(opInputs(op));
    rank.set(op.out, r);
    if (queued) queue.set(chip, r);
  }

  const memo = new Map<string, number>();
  const tileRank: TileRank = (x, j) => {
    const key = `${x}/${j}`;
    const got = memo.get(key);
    if (got !== undefined) return got;
    const op = producer.get(x);
    const same = (y: string) => tilesOf(y) === tilesOf(x);
    const nonzero = (y: string) => !zeros.get(y)?.has(j);
    let r = rank.get(x) ?? 0;
    // A sum's tile waits only on its operands' tile j, and only on those not known zero there: each head's own
    // tiles.
    const tileOf = (ys: readonly string[]) => {
      const live = ys.filter((y) => same(y) && nonzero(y));
      return live.length > 0 ? Math.max(...live.map((y) => tileRank(y, j))) : r;
    };
    // (Fused pointwise sums, a kv head per head as llama2-7b, keep the op's rank: ordered by their tiles,
    // llama2-7b's layer ran 15,057 -> 15,073 cycles.)
    if (op?.kind === "binary" && (op.fn === "add" || op.fn === "sub") && !op.bTile) r = tileOf([op.a, op.b]);
    else if (op?.kind === "convert") r = tileOf([op.x]);
    else if (op?.kind === "matmul" && op.epilogue?.some((e) => e.kind === "row")) {
      // The heads' sum folded into the last lane move's epilogue (fuse.ts): the product counts only where it is
      // nonzero (its band), each added row only where it is.
      const lay = op.bLayout;
      const band = lay?.kind === "band" || lay?.kind === "window" ? lay.nTiles : undefined;
      r = band && (j < band[0] || j >= band[1]) ? 0 : (own.get(x) ?? 0);
      for (const e of op.epilogue)
        if (e.kind === "row" && same(e.b) && nonzero(e.b)) r = Math.max(r, tileRank(e.b, j));
    }
    memo.set(key, r);
    return r;
  };
  return tileRank;
}

/** K tiles 0 .. n - 1 of `a` by rank, ties in K order. */
export function arrivalOrder(rank: TileRank, a: string, n: number): number[] {
  const t = Array.from({ length: n }, (_, i) => ({ i, r: rank(a, i) }));
  return t.sort((x, y) => x.r - y.r || x.i - y.i).map((x) => x.i);
}
