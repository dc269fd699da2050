// The relay copies a packing implies: a computed tensor read on a chip of another node travels there by stages.ts's
// route (along its node to the reader's position, then from node to node), and every chip between holds a copy of
// each tile it forwards until the send (stages.ts `fetch`, `x@pN`). In: a packing's placements; out: per chip, the
// peak bytes of those copies over the ops (a copy counted from its producer's op to its last reader's). pack.ts
// reserves them on the chips where the packing's own bytes and the copies pass the budget, and packs again.
// Why: mixtral-8x7b, `--set seq=64 --partition pack` on 576 chips: the experts' fp32 products (64 rows, 359 tiles)
// made on chips 2..7 and read on chip 12 crossed chip 4, 28 MB of copies on a chip the packing had filled to its
// budget with expert weights (LPU5005 in allocation).
import { DTYPE_BYTES } from "../graph/ir.ts";
import { opInputs } from "./kernel-ir.ts";
import type { PackContext, Placement } from "./pack.ts";
import { routeOver } from "./stages.ts";

/** Per chip (index = chip), the most bytes of relay copies live at one op. Needs `ctx.gateways` (the route's
 * rule); without it, none are counted. */
export function relayPeaks(ctx: PackContext, stages: readonly Placement[], chips: number): number[] {
  const peaks = new Array<number>(chips).fill(0);
  if (ctx.gateways === undefined) return peaks;
  const gateways = ctx.gateways;
  const producer = new Map<string, number>();
  ctx.ops.forEach((op, i) => {
    producer.set(op.out, i);
  });
  // `${tensor}/${tile}/${chip}` -> [first op, last op, bytes]
  const copies = new Map<string, [number, number, number]>();
  const hops = (from: number, to: number) => routeOver(ctx.nodeChips, gateways, from, to).length;
  /** The chip tile k of op j's output is read from by chip `to` (stages.ts `nearest`: a column split's part where
   * it was made when that route is no longer than from the gathering chip; a part kept in place, always). */
  const sourceChip = (j: number, k: number, to: number): number => {
    const p = stages[j]!;
    if (!p.nBounds) return p.base;
    let c = 0;
    while (c + 2 < p.nBounds.length && k >= p.nBounds[c + 1]!) c++;
    const part = p.base + c;
    const kept = ctx.leftInPlace.has(ctx.ops[j]!.out);
    return kept || hops(part, to) <= hops(p.base, to) ? part : p.base;
  };
  const read = (i: number, id: string, first: number, end: number, to: number) => {
    const t = ctx.tensors.get(id);
    const j = producer.get(id);
    if (t?.role !== "temp" || j === undefined) return;
    const bytes = t.rows * ctx.lanes * DTYPE_BYTES[t.dtype];
    for (let k = first; k < end; k++) {
      const path = routeOver(ctx.nodeChips, gateways, sourceChip(j, k, to), to);
      for (let h = 1; h + 1 < path.length; h++) {
        const key = `${id}/${k}/${path[h]}`;
        const c = copies.get(key);
        if (c) c[1] = Math.max(c[1], i);
        else copies.set(key, [j, i, bytes]);
      }
    }
  };
  ctx.ops.forEach((op, i) => {
    const p = stages[i];
    if (!p) return;
    const tilesOf = (id: string) => Math.ceil(ctx.tensors.get(id)!.cols / ctx.lanes);
    for (let c = 0; c < p.width; c++) {
      const chip = p.base + c;
      for (const x of opInputs(op)) {
        // A K split's chip c reads its own K tiles of the product's operands; every other chip reads all.
        const k = op.kind === "matmul" && p.kBounds && (x === op.a || x === op.b);
        const [first, end] = k ? [p.kBounds![c]!, p.kBounds![c + 1]!] : [0, tilesOf(x)];
        read(i, x, first, Math.min(end, tilesOf(x)), chip);
      }
    }
  });
  // Each chip's copies as events over the ops: + at the first op, - after the last.
  const events = new Map<number, [number, number][]>();
  for (const [key, [first, last, bytes]] of copies) {
    const chip = Number(key.slice(key.lastIndexOf("/") + 1));
    if (chip >= chips) continue;
    const list = events.get(chip) ?? events.set(chip, []).get(chip)!;
    list.push([first, bytes], [last + 0.5, -bytes]);
  }
  for (const [chip, list] of events) {
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let live = 0;
    for (const [, d] of list) {
      live += d;
      peaks[chip] = Math.max(peaks[chip]!, live);
    }
  }
  return peaks;
}
