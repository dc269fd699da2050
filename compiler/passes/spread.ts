// Spreading a model over the chips it is given, for speed: kernel ops in order + a chip count -> a placement per
// op (one chip, or a K split over consecutive chips of a node, an output-column split over up to two nodes; a heavy
// product's on any later node; a heavy pair's MLP kept in place, in-place.ts; a moe's experts a node each,
// spread-experts.ts) chosen greedily for the earliest estimated finish
// (spread-timeline.ts), and that estimate; or nothing when the ops do not fit the chips this way.
// The SRAM check is chip-fill.ts's and pack.ts's.
import { ChipFill, type Item } from "./chip-fill.ts";
import { groupItems, groupPlacements, inPlaceGroup, partedTensors } from "./in-place.ts";
import { opInputs } from "./kernel-ir.ts";
import {
  columnDemands,
  columnNodes,
  columnSplittable,
  demands,
  kRange,
  kTilesOf,
  type PackContext,
  type Packing,
  type Placement,
  sourceFloor,
} from "./pack.ts";
import {
  besideReaders,
  ExpertNodes,
  expertOf,
  expertProduct,
  readersOf,
  weightTiles,
} from "./spread-experts.ts";
import { heavy, heavySiblings, type Split, wideSplits } from "./spread-heavy.ts";
import { readsOnlySources, type SpreadTiming, Timeline } from "./spread-timeline.ts";

export { heavy } from "./spread-heavy.ts";
export type { SpreadTiming } from "./spread-timeline.ts";

/** A time line that knows which tensors the placement keeps in parts (in-place.ts). */
function lineOf(ctx: PackContext, t: SpreadTiming, places: readonly Placement[]): Timeline {
  const line = new Timeline(ctx, t);
  const outputs = new Set([...ctx.lastUse].filter(([, u]) => u === Number.POSITIVE_INFINITY).map(([x]) => x));
  for (const [x, s] of partedTensors(ctx.ops, ctx.tensors, (i) => places[i], outputs)) line.parted.set(x, s);
  return line;
}

/** Estimated cycles of a placement (one per op, in list order). */
export function estimatePlacement(ctx: PackContext, t: SpreadTiming, places: readonly Placement[]): number {
  const line = lineOf(ctx, t, places);
  places.forEach((p, i) => {
    line.place(i, p, true);
  });
  return line.end;
}

/** Estimated finish of op `placed.length` placed as `p` after the ops before it placed as `placed`, without making
 * it so: the figure spreadStages chooses by. */
export function estimateNext(
  ctx: PackContext,
  t: SpreadTiming,
  placed: readonly Placement[],
  p: Placement,
): number {
  const line = lineOf(ctx, t, placed);
  placed.forEach((q, i) => {
    line.place(i, q, true);
  });
  return line.place(placed.length, p, false);
}

/**
 * Ops in order go where the estimate says they finish first: on one chip of the current node, or K-split or split
 * by output columns over consecutive chips of it or on into the next node (even shares; a heavy product's column
 * split over any later node too, and its K split over whole nodes; a pair of heavy siblings side by side, or, with the
 * ops after them up to the next product, over the same chips kept in place: `inPlace`), among the choices that fit
 * each chip's SRAM. When none fits, the next node takes over (a line of nodes, as
 * stages.ts routes). Tried with each chip filled to several shares of its budget (FILL_FRACTIONS); the fastest
 * estimate wins. Undefined when the ops run past `chips` at every share, or when none ends before `limit`.
 */
export function spreadStages(
  ctx: PackContext,
  t: SpreadTiming,
  chips: number,
  fractions: readonly number[] = FILL_FRACTIONS,
  limit = Number.POSITIVE_INFINITY,
): (Packing & { cycles: number }) | undefined {
  let best: (Packing & { cycles: number }) | undefined;
  // A pass whose fullest chip is within a smaller budget would place every op the same way under it (a chip's
  // fill only grows, so every choice it made fits; the choices it passed over fit no better): skip that budget.
  let fullest = Number.POSITIVE_INFINITY;
  const passes = [...fractions].sort((a, b) => b - a);
  // Every pass weighs the same candidates of an op: their items are made once (kept for the later passes only).
  const candidates = new Map<number, Candidates>();
  let floor: number | undefined;
  for (const [n, f] of passes.entries()) {
    if (ctx.budget * f >= fullest) continue;
    // A budget whose chips cannot hold the sources the ops read, once each, places no model: nor any smaller one.
    // (Asked from the second pass on: the first pass made most ops' candidates, whose items it reuses.)
    if (n > 0) floor ??= sourceFloor(ctx, (i) => candidates.get(i)?.whole[0]);
    if (floor !== undefined && floor > chips * ctx.budget * f * (1 + 1e-9)) break;
    const keep = n < passes.length - 1;
    const s = spreadWithin(ctx, t, chips, ctx.budget * f, best?.cycles ?? limit, candidates, keep);
    if (s) fullest = Math.max(...s.chipBytes);
    if (s && (!best || s.cycles < best.cycles)) best = s;
  }
  return best;
}

/**
 * The shares of a chip's SRAM budget the greedy placement may fill, each tried (spreadStages keeps the fastest
 * estimate). Filling every chip to the brim leaves the ops that come late in list order the fewest chips: on
 * llama2-70b-fp8's layer the embedding and the attention filled node 0, so the MLP's up projection fitted only
 * chips 4..7, beside the gate, and the two ran one after the other there (about 30,000 cycles); capped at 75%, the
 * attention stays on node 0 and gate, up and down take all eight chips of node 1 (91,863 -> 78,673 cycles). Steps
 * of 5%, down to 60% (below it no program's estimate won): each is one greedy pass, so a caller with many ops asks
 * for FULL_FILL alone (partition.ts).
 */
export const FILL_FRACTIONS: readonly number[] = Array.from({ length: 9 }, (_, j) => (20 - j) / 20);
/** The greedy placement filling each chip to its budget: one pass. */
export const FULL_FILL: readonly number[] = [1];

/** The greedy placement with every chip filled to at most `budget` bytes; undefined once its time line passes
 * `limit` (the estimate only grows as ops are placed, so it cannot beat a placement that ends there). */
function spreadWithin(
  ctx: PackContext,
  t: SpreadTiming,
  chips: number,
  budget: number,
  limit: number,
  candidates: Map<number, Candidates>,
  keep: boolean,
): (Packing & { cycles: number }) | undefined {
  const fills: ChipFill[] = [];
  const fill = (c: number) => {
    while (fills.length <= c) fills.push(new ChipFill());
    return fills[c]!;
  };
  const fits = (items: readonly Item[], c: number, at: number, more?: readonly Item[]) =>
    (items.length === 0 && !more?.length) || fill(c).fits(items, at, budget, more);
  const line = new Timeline(ctx, t);
  const candidatesOf = (i: number) => candidates.get(i) ?? candidates.set(i, opCandidates(ctx, i)).get(i)!;
  const wideKSplits = (i: number) => {
    const got = candidatesOf(i);
    if (!got.wideK) got.wideK = wideSplits(ctx, t, i, Math.ceil(chips / ctx.nodeChips));
    return got.wideK;
  };
  const places: Placement[] = new Array(ctx.ops.length);
  // An op that reads only sources (an embedding's gathers) finishes as early on any chip, so placed for its own
  // finish it goes to the least busy one, and its readers then wait on links for what could have been made beside
  // them (llama2-7b: 63 gathers over 8 chips, their sums crossing links at every level of the tree). It waits for
  // its first reader instead and goes to that reader's (first) chip.
  const producer = new Map<string, number>();
  ctx.ops.forEach((op, i) => {
    producer.set(op.out, i);
  });
  const siblings = heavySiblings(ctx, t);
  const readers = readersOf(ctx.ops);
  /** The nodes experts' products took (spread-experts.ts): a node's share of experts, in order. */
  const experts = new ExpertNodes(
    ctx.nodeChips,
    Math.ceil(chips / ctx.nodeChips),
    ctx.ops.filter((op) => expertProduct(ctx, op)).map((op) => expertOf(ctx, op)),
  );
  /** Ops placed ahead with their group (in-place.ts), by index. */
  const forced = new Map<number, { p: Placement; items: Item[][] }>();
  /** Heavy pair (i, j)'s group over the chips of its side-by-side placements `mine` and `theirs` (adjacent), when
   * the group's items fit there. */
  const inPlace = (i: number, j: number, mine: Placement, theirs: Placement, more: readonly Item[]) => {
    const g = inPlaceGroup(ctx, i, j);
    if (!g) return undefined;
    const lo = Math.min(mine.base, theirs.base);
    const width = mine.width + theirs.width;
    const tiles = Math.ceil(ctx.tensors.get(ctx.ops[i]!.out)!.cols / ctx.lanes);
    if (Math.max(mine.base + mine.width, theirs.base + theirs.width) - lo !== width || width > tiles)
      return undefined;
    const places = groupPlacements(
      ctx,
      g,
      lo,
      width,
      // An expert's group: the larger shares to the chips with the fewest experts' weight tiles (spread-experts.ts).
      expertProduct(ctx, ctx.ops[i]!) ? (n) => experts.larger(lo, width, n) : undefined,
    );
    const items = new Map([...places].map(([k, p]) => [k, groupItems(ctx, k, p)]));
    for (let c = 0; c < width; c++) {
      const all = [...items.values()].flatMap((it) => it[c]!);
      if (!fits(all, lo + c, i, c === 0 ? more : undefined)) return undefined;
    }
    return { g, places, items };
  };
  const deferred = new Set<number>();
  let node = 0;
  /** The last node any op is placed on so far. */
  let lastUsed = 0;
  const use = (p: Placement) => {
    lastUsed = Math.max(lastUsed, Math.floor((p.base + p.width - 1) / ctx.nodeChips));
  };
  for (let i = 0; i < ctx.ops.length; i++) {
    const op = ctx.ops[i]!;
    if (readsOnlySources(ctx, op) && readers.has(op.out)) {
      deferred.add(i);
      continue;
    }
    const waiting = [...new Set(opInputs(op).map((x) => producer.get(x) ?? -1))]
      .filter((d) => deferred.has(d))
      .sort((a, b) => a - b);
    const waitingItems = waiting.flatMap((d) => candidatesOf(d).whole[0]!);
    // Placed with its group (in-place.ts), its items already on the chips.
    const pre = forced.get(i);
    let best: { p: Placement; items: Item[][]; end: number } | undefined = pre && { ...pre, end: 0 };
    // Read only by a group placed ahead, on one chip: made there (spread-experts.ts `besideReaders`).
    const readersChip =
      pre || waiting.length > 0 ? undefined : besideReaders(ctx, i, readers, forced, (x) => producer.has(x));
    if (readersChip !== undefined && fits(candidatesOf(i).whole[0]!, readersChip, i))
      best = { p: { base: readersChip, width: 1 }, items: candidatesOf(i).whole, end: 0 };
    let partner: Placement | undefined;
    // A heavy product's column split may go to any node from the current one on, not only the current node. Of the
    // nodes no op uses yet only the first is weighed: a later one is as empty and further (more hops, never sooner).
    const isHeavy = heavy(ctx, t, op);
    const ahead = isHeavy ? Math.min(Math.ceil(chips / ctx.nodeChips), lastUsed + 2) : node + 1;
    /** Every placement of op k that fits, with its estimated end (a trial: nothing is booked). */
    const choices = (k: number, at: number, more: readonly Item[], until = ahead) => {
      const { whole, kSplits, columns } = candidatesOf(k);
      const got: { p: Placement; items: Item[][]; end: number }[] = [];
      // An expert's (spread-experts.ts): half a node, on the node its share of experts is filling; whether such a
      // split fits on node m is asked once a node for this product.
      const expert = expertProduct(ctx, ctx.ops[k]!) ? expertOf(ctx, ctx.ops[k]!) : undefined;
      const expertNode =
        expert === undefined
          ? undefined
          : experts.nodesFor(expert, node, (m) =>
              columns.some(
                ({ width, items }) =>
                  width === experts.half &&
                  [0, experts.half].some((o) =>
                    items.every((it, c) =>
                      fits(it, m * ctx.nodeChips + o + c, at, c === 0 ? more : undefined),
                    ),
                  ),
              ),
            );
      const consider = (p: Placement, items: Item[][]) => {
        if (!items.every((it, c) => fits(it, p.base + c, at, c === 0 ? more : undefined))) return;
        got.push({ p, items, end: line.place(k, p, false) });
      };
      for (let n = node; n === node || n < until; n++) {
        const first = n * ctx.nodeChips;
        const last = Math.min(chips, first + ctx.nodeChips);
        if (n === node) {
          for (let c = first; c < last; c++) consider({ base: c, width: 1 }, whole);
          // Or whole on the chip an input was made on (a split's chip 0, where its sum is) when that is on a later
          // node: the stamped fp8 70b's last down is summed on node B's first chip, and its residual add `y` on node
          // A's chip 0 took the sum back one hop west before `y` went east to the next unit (docs/compiler.md
          // "The unit's `y` beside its down's sum").
          const later = new Set<number>();
          for (const x of opInputs(ctx.ops[k]!)) {
            const d = producer.get(x);
            const q = d === undefined ? undefined : places[d];
            if (q && q.base >= last) later.add(q.base);
          }
          for (const base of later) consider({ base, width: 1 }, whole);
          for (let s = first; s < last; s++)
            for (const { width, bounds, items } of kSplits)
              if (width <= last - s) consider({ base: s, width, kBounds: bounds }, items);
        }
        // Any column split may run on into the next node, where the estimate says it finishes first: its chips
        // there get `a` over the gateway (Timeline: the hops stages.ts routes it over) and send their tiles back
        // (tile-columns.ts: chip 0 copies them in), or keep them (an output left in place). Allowed for heavy
        // products and unread outputs alone, llama2-70b-fp8's q and o (2 of their 26 column tiles a chip over 13
        // chips, on all four planes since tile-column-planes.ts) stayed on node A's 7 chips while nodes B and C
        // waited (docs/compiler.md "The attention half over the idle nodes").
        const end = Math.min(chips, first + columnNodes(ctx, ctx.ops[k]!.out) * ctx.nodeChips);
        for (let s = first; s < last; s++)
          for (const { width, bounds, items } of columns)
            if (width <= end - s && (expertNode === undefined || experts.within(s, width, expertNode)))
              consider({ base: s, width, nBounds: bounds }, items);
        // A heavy product's K split over whole nodes from this one (up to the first node no op uses yet): each node
        // sums its chips' partials on its head (stages.ts `sumHeads`) and sends one sum to chip 0, so the gateways
        // carry a partial sum per node, not per chip.
        if (ahead > node + 1)
          for (const { width, bounds, items } of wideKSplits(k))
            if (first + width <= Math.min(chips, until * ctx.nodeChips))
              consider({ base: first, width, kBounds: bounds }, items);
      }
      return got;
    };
    while (!best) {
      if (node * ctx.nodeChips >= chips) return undefined;
      const mine = choices(i, waiting[0] ?? i, waitingItems);
      // A heavy product with a heavy sibling (a later product of the same input: llama2-70b-fp8's gate and up) is
      // placed for the pair: placed for its own end, the first took the widest split and the second shared its
      // planes. Each placement counts the sibling's earliest end on other chips (estimated apart: on other chips
      // the two meet only at their input).
      // The sibling sits beside it, so it may take one node past the nodes open to the first: with the first over
      // nodes A and B, the pair then spans four nodes (llama2-70b-fp8's MLP over 32 chips, three column tiles of
      // each a chip, their chains split in rounds over the planes: plane-split.ts).
      const j = isHeavy ? siblings.get(i) : undefined;
      const nodes = Math.ceil(chips / ctx.nodeChips);
      const theirs =
        j === undefined || mine.length === 0 ? [] : choices(j, j, [], Math.min(nodes, ahead + 1));
      // Beside it: on other chips, and right next to it when the pair can be kept in place (inPlace takes two
      // adjacent splits only; a gap of a chip left the MLP's gate and up apart, their product sent between them).
      const adjacent = j !== undefined && inPlaceGroup(ctx, i, j) !== undefined;
      const beside = (p: Placement, q: Placement) =>
        adjacent
          ? q.base === p.base + p.width || p.base === q.base + q.width
          : q.base >= p.base + p.width || p.base >= q.base + q.width;
      const pairEnd = (p: Placement) => {
        let soonest = Number.POSITIVE_INFINITY;
        for (const q of theirs) if (beside(p, q.p)) soonest = Math.min(soonest, q.end);
        return soonest;
      };
      let bestScore = Number.POSITIVE_INFINITY;
      for (const c of mine) {
        const score = theirs.length > 0 ? Math.max(c.end, pairEnd(c.p)) : c.end;
        if (!best || score < bestScore || (score === bestScore && c.end < best.end)) {
          best = c;
          bestScore = score;
        }
      }
      if (!best) node++;
      else if (j !== undefined) {
        // The sibling's placement beside it (disjoint, soonest end): where the pair would run side by side.
        let soonest = Number.POSITIVE_INFINITY;
        for (const q of theirs) if (beside(best.p, q.p) && q.end < soonest) [soonest, partner] = [q.end, q.p];
      }
    }
    let chosen = best as { p: Placement; items: Item[][]; end: number };
    const j = siblings.get(i);
    const group =
      !pre && partner && j !== undefined ? inPlace(i, j, chosen.p, partner, waitingItems) : undefined;
    if (group) {
      // The pair over the chips it would have taken side by side, each chip half of each, and the ops after it
      // there too (in-place.ts): every chip's items of the whole group are on it from now on.
      for (const [k, p] of group.places) {
        const items = group.items.get(k)!;
        items.forEach((it, c) => {
          fill(p.base + c).add(it, i);
        });
        if (k !== i) forced.set(k, { p, items });
        const out = ctx.ops[k]!.out;
        if (k !== group.g.down) line.parted.set(out, { base: p.base, bounds: p.nBounds! });
      }
      chosen = { p: group.places.get(i)!, items: [], end: 0 };
    }
    for (const d of waiting) {
      const p = { base: chosen.p.base, width: 1 };
      fill(p.base).add(candidatesOf(d).whole[0]!, d);
      if (!keep) candidates.delete(d);
      line.place(d, p, true);
      places[d] = p;
      use(p);
      deferred.delete(d);
    }
    if (!pre)
      chosen.items.forEach((items, c) => {
        fill(chosen.p.base + c).add(items, i);
      });
    line.place(i, chosen.p, true);
    places[i] = chosen.p;
    use(chosen.p);
    if (expertProduct(ctx, op)) experts.take(expertOf(ctx, op), chosen.p, weightTiles(ctx, op, chosen.p));
    if (!keep) candidates.delete(i);
    if (line.end >= limit) return undefined;
  }
  let used = 1;
  for (const p of places) used = Math.max(used, p.base + p.width);
  const chipBytes = Array.from({ length: used }, (_, c) => (fills[c] ? fills[c].total() : 0));
  return { ok: true, why: "", chips: used, stages: places, chipBytes, cycles: line.end };
}

/** An op's items placed whole, and K split and column split over w = 2, 3, ... chips (even shares, in order of w;
 * at most a node for a K split, `columnNodes` for a column split): the same at every
 * chip it starts from. */
interface Candidates {
  readonly whole: Item[][];
  readonly kSplits: readonly Split[];
  readonly columns: readonly Split[];
  /** K splits over 2, 3, .. whole nodes (even shares), made when a heavy product first asks (`wideSplits`). */
  wideK?: readonly Split[];
}

function opCandidates(ctx: PackContext, i: number): Candidates {
  const op = ctx.ops[i]!;
  const evenSplits = (
    from: number,
    n: number,
    most: number,
    make: (bounds: number[]) => Item[][],
  ): Split[] => {
    const out: Split[] = [];
    for (let w = 2; w <= Math.min(n, most); w++) {
      const bounds = [from];
      for (let c = 0; c < w; c++) bounds.push(kRange(from, n, c, w)[1]);
      out.push({ width: w, bounds, items: make(bounds) });
    }
    return out;
  };
  let kSplits: Split[] = [];
  if (op.kind === "matmul" && op.bLayout?.kind !== "diagonal") {
    const [k0, k1] = kTilesOf(ctx, op);
    kSplits = evenSplits(k0, k1 - k0, ctx.nodeChips, (bounds) => demands(ctx, i, bounds));
  }
  let columns: Split[] = [];
  if (columnSplittable(ctx, op)) {
    const nTiles = Math.ceil(ctx.tensors.get(op.b)!.rows / ctx.lanes);
    // Over up to two nodes, or more for an output left in place (spreadWithin, columnNodes).
    const most = columnNodes(ctx, op.out) * ctx.nodeChips;
    columns = evenSplits(0, nTiles, most, (bounds) => columnDemands(ctx, i, bounds));
  }
  return { whole: demands(ctx, i), kSplits, columns };
}
