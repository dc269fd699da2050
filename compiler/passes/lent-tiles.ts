// Down's K tiles lent between the chips of a node (issue 4, llama2-70b-fp8's MLP kept in place, in-place.ts): a
// product whose K ranges differ by one tile over its chips (90 column tiles over 24 chips: 18 chips take 4, 6 take
// 3) gives each chip with more a part of one K tile to take elsewhere, so the chips' weight loads even out.
import { usableBytesPerChip } from "./partition.ts";
import type { TileContext } from "./tile-context.ts";

/** A heavier chip's first K tile, lent to chip `to` for the output tiles `lends` says. */
export interface Lent {
  readonly to: number;
  readonly lends: (j: number) => boolean;
}

/**
 * Chips `0 .. chips - 1` of a K split at `base` (nodes of `node` chips), chip c with `kTiles(c)` K tiles, counts
 * differing by one: each chip with more lends its first K tile, for output tiles 0 .. x - 1, to the light chip of
 * its node with room (`room`, weight tiles per product) at or before its position (else the node's first), or, when
 * that chip's room is taken by lenders before it, to the next light chip after it in its node with room left. Kept in
 * place, a chip's gate and up hold as many column tiles as its down K tiles, each a chain of `outTiles` K tiles (the
 * model's width, down's output): one K tile more is 3 x outTiles weight tiles more, evened over a light chip and the
 * r heavy chips lending to it at x = 3 x outTiles / (1 + r) each (a gated MLP's three products: not checked, a
 * plain one would want 2 x). Whatever x, allocate places a lent K tile's weights on the light chip whole (every row
 * block of the column tile a task reads: outTiles weight tiles), and a lender that keeps some output tiles keeps its
 * copy, so a light chip takes only as many lenders as it has room for outTiles tiles each (the first ones by chip
 * number). The first K tile: a chip's first round of gate and up chains ends with it (a chain of 26
 * K tiles a plane), so its `mul` tile reaches the light chip while that one still works on its own. Heavy chips of
 * a node without a light chip with room lend none (measured across a gateway: the light chips then also hold the
 * node's sums, and the unit's span grew, docs/compiler.md).
 */
export function lentTiles(
  base: number,
  chips: number,
  node: number,
  kTiles: (c: number) => number,
  outTiles: number,
  room: (c: number) => number,
): Map<number, Lent> {
  const out = new Map<number, Lent>();
  if (chips < 2) return out;
  const all = Array.from({ length: chips }, (_, c) => c);
  const counts = all.map(kTiles);
  const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
  if (hi !== lo + 1 || lo === 0) return out;
  const nodeOf = (c: number) => Math.floor((base + c) / node);
  const open = all.filter((c) => kTiles(c) === lo && room(c) >= outTiles);
  const toOf = (h: number): number | undefined => {
    const mine = open.filter((c) => nodeOf(c) === nodeOf(h));
    const before = mine.filter((c) => c <= h);
    return before.length > 0 ? before[before.length - 1] : mine[0];
  };
  const heavy = all.filter((c) => kTiles(c) === hi);
  const cap = (l: number) => Math.floor(room(l) / outTiles);
  const lenders = new Map<number, number[]>(open.map((l) => [l, []]));
  const taken = new Set<number>();
  for (const h of heavy) {
    const l = toOf(h);
    if (l === undefined || lenders.get(l)!.length >= cap(l)) continue;
    lenders.get(l)!.push(h);
    taken.add(h);
  }
  // A heavy chip left out (its light chip's room taken by lenders before it) lends to the next light chip after it
  // in its node with room for one more: the fp8 70b unit's layer 3, chip 20 (position 4 of node B) behind chip 16's
  // two lenders, its down ending about 1,000 cycles after the node's other chips (docs/compiler.md).
  for (const h of heavy) {
    if (taken.has(h)) continue;
    const l = open.find((c) => c > h && nodeOf(c) === nodeOf(h) && lenders.get(c)!.length < cap(c));
    if (l !== undefined) lenders.get(l)!.push(h);
  }
  for (const l of open) {
    const mine = lenders.get(l)!;
    if (mine.length === 0) continue;
    const x = Math.min(Math.floor((3 * outTiles) / (1 + mine.length)), outTiles);
    if (x <= 0) continue;
    for (const h of mine) out.set(h, { to: l, lends: (j) => j < x });
  }
  return out;
}

/**
 * Lent weight tiles fill a light chip up to this share of the partition's usable SRAM, by its estimate
 * (`chipBytes`). Measured on the fp8 70b's unit: chip 12 (attention's weights beside its MLP share, 186 MB of
 * 208 estimated, 194 MiB allocated) overflowed when it was lent "12 tiles" by the first count (x times lenders; each
 * lender's K tile is placed whole, so about 32 MB, not 1.2; allocate then loaded its down one row a cycle, 393
 * cycles a tile against 181); chips at 138 MB or less took their lenders with no change to their loads.
 */
export const LEND_FILL = 0.85;

/** Chip c's (of a split at `base`) room for lent weight tiles of `tileBytes`, per product: shared by the instances
 * of a unit of layers (`groups.unit`), which lend to the same chips. */
export function roomFor(cx: TileContext, base: number, tileBytes: number): (c: number) => number {
  const cap = usableBytesPerChip(cx.machine) * LEND_FILL;
  const share = cx.p.groups?.unit ?? 1;
  return (c) => {
    const used = cx.p.chipBytes[base + c];
    return used === undefined ? 0 : Math.max(0, Math.floor((cap - used) / share / tileBytes));
  };
}
