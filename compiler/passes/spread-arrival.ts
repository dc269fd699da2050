// An output left in place (tile-columns.ts `outputParts`: an lm head) split by columns over chips its input reaches
// at different times: in, the op, its even split's chips and each chip's link hops from the input's chip; out,
// column shares by expected arrival (a chip reached later takes fewer tiles), or nothing when they come out even.
// The spread (spread.ts `spreadWithin`) keeps them only where its time line says they finish sooner.
import { DTYPE_BYTES } from "../graph/ir.ts";
import type { Item } from "./chip-fill.ts";
import type { KOp } from "./kernel-ir.ts";
import { columnDemands, kTilesOf, type PackContext, type Placement } from "./pack.ts";
import { routeHops, type SpreadTiming } from "./spread-timeline.ts";

type Matmul = Extract<KOp, { kind: "matmul" }>;

/**
 * Column bounds for product `op` split over `hops.length` chips, chip c reached `hops[c]` link hops after the
 * input is made: each chip's expected end is its input's arrival (a hop a relay's latency and a piece, as the time
 * line prices it) plus a chain of every K tile per round of `planes` output tiles (each tile a plane, one weight
 * tile's load after another); tiles go one at a time to the chip whose end after it is least (every chip at least one;
 * on a tie the one with fewer tiles, then the nearer, then the lower). Undefined when that is the even split anyway.
 */
export function arrivalBounds(
  ctx: PackContext,
  t: SpreadTiming,
  op: Matmul,
  hops: readonly number[],
  even: readonly number[],
  busy: readonly boolean[],
): number[] | undefined {
  const a = ctx.tensors.get(op.a)!;
  const b = ctx.tensors.get(op.b)!;
  const nTiles = Math.ceil(b.rows / ctx.lanes);
  const w = hops.length;
  if (w < 2 || nTiles < w) return undefined;
  const [k0, k1] = kTilesOf(ctx, op);
  const aBytes = DTYPE_BYTES[a.dtype];
  const bBytes = DTYPE_BYTES[b.dtype];
  const width = bBytes === 1 ? t.convertWidth : t.maxLoadWidth;
  const load = Math.ceil(Math.min(t.tileRows, b.rows) / width);
  const perTile = Math.max(load, a.rows * t.cyclesPerVector(aBytes)) + t.planeSplit.installLatency;
  const round = (k1 - k0) * perTile;
  const pieceRows = Math.max(1, Math.floor(t.bufferWords / aBytes));
  // A relay hop: the wire's latency plus three pieces' word times (read to the link, sent, written before it goes
  // on). ASSUMPTION: the three word times per word are not the timing model's (it has no SRAM cost at the link's
  // rate); they match one trace, llama2-7b's lm head at 37f5c4d (346 cycles a hop for a 4,096-wide fp16 row's first
  // tile; this prices it 331), and llama3-8b's shares are the same with 4 or 5 (18,228 with 2). The spread's time
  // line prices a relay otherwise (spread-timeline.ts: link latency plus a piece), so the two can disagree.
  const hop = t.hopLatency + 3 * Math.min(a.rows, pieceRows) * aBytes * t.wordCycles;
  const ready = hops.map((h) => h * hop);
  const end = (c: number, n: number) => ready[c]! + Math.ceil(n / t.planes) * round;
  // A chip holding other ops (`busy`: the input's own chip among them) keeps at most its even share: the product's
  // first loads there start early and compete with the ops making its input (more columns on such chips delayed
  // llama2-7b's and llama3-8b's final norm by about 100 cycles).
  const most = busy.map((b, c) => (b ? even[c + 1]! - even[c]! : nTiles));
  const shares = new Array<number>(w).fill(1);
  for (let left = nTiles - w; left > 0; left--) {
    let best = -1;
    for (let c = 0; c < w; c++) {
      if (shares[c]! >= most[c]!) continue;
      const d = best < 0 ? -1 : end(c, shares[c]! + 1) - end(best, shares[best]! + 1);
      const fewer = shares[c]! - shares[best < 0 ? c : best]!;
      if (d < 0 || (d === 0 && (fewer < 0 || (fewer === 0 && ready[c]! < ready[best]!)))) best = c;
    }
    shares[best]!++;
  }
  const bounds = [0];
  for (const s of shares) bounds.push(bounds[bounds.length - 1]! + s);
  return bounds.every((x, j) => x === even[j]) ? undefined : bounds;
}

/** A placement choice and its estimated end (spread.ts `spreadWithin`). */
export interface Choice {
  readonly p: Placement;
  readonly items: Item[][];
  readonly end: number;
}

/**
 * Op i's choice `got` with shares by arrival instead (`arrivalBounds`), where op i is a product whose output is left
 * in place, split by columns, its input made on one chip (`src`): kept where every chip's items fit (`fits`, chip c
 * of the split) and the time line ends it sooner (`end`); `busy` says which chips hold other ops.
 */
export function byArrival(
  ctx: PackContext,
  t: SpreadTiming,
  i: number,
  got: Choice,
  src: Placement | undefined,
  ask: {
    readonly fits: (items: readonly Item[], c: number) => boolean;
    readonly busy: (chip: number) => boolean;
    readonly end: (p: Placement) => number;
  },
): Choice {
  const op = ctx.ops[i]!;
  const { p } = got;
  if (op.kind !== "matmul" || !ctx.leftInPlace.has(op.out) || !p.nBounds || p.width < 2 || src?.width !== 1)
    return got;
  const hops = Array.from({ length: p.width }, (_, c) =>
    routeHops(src.base, p.base + c, ctx.nodeChips, t.gateways),
  );
  const busy = hops.map((_, c) => ask.busy(p.base + c));
  const bounds = arrivalBounds(ctx, t, op, hops, p.nBounds, busy);
  if (!bounds) return got;
  const items = columnDemands(ctx, i, bounds);
  if (!items.every((it, c) => ask.fits(it, c))) return got;
  const q = { ...p, nBounds: bounds };
  const end = ask.end(q);
  return end < got.end ? { p: q, items, end } : got;
}
