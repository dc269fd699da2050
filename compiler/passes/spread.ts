// Spreading a model over the chips it is given, for speed: kernel ops in order + a chip count -> a placement per
// op (one chip, or a K or output-column split over consecutive chips of a node; a heavy product's over more than a
// node) chosen greedily for the earliest estimated finish (spread-timeline.ts), and that estimate; or nothing when
// the ops do not fit the chips this way.
// The SRAM check is chip-fill.ts's and pack.ts's.
import { DTYPE_BYTES } from "../graph/ir.ts";
import { ChipFill, type Item } from "./chip-fill.ts";
import { type KOp, type KTensor, opInputs } from "./kernel-ir.ts";
import {
  columnDemands,
  columnSplittable,
  demands,
  kRange,
  kTilesOf,
  type PackContext,
  type Packing,
  type Placement,
  sourceFloor,
} from "./pack.ts";
import { readsOnlySources, type SpreadTiming, Timeline } from "./spread-timeline.ts";

export type { SpreadTiming } from "./spread-timeline.ts";

/** Estimated cycles of a placement (one per op, in list order). */
export function estimatePlacement(ctx: PackContext, t: SpreadTiming, places: readonly Placement[]): number {
  const line = new Timeline(ctx, t);
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
  const line = new Timeline(ctx, t);
  placed.forEach((q, i) => {
    line.place(i, q, true);
  });
  return line.place(placed.length, p, false);
}

/**
 * Ops in order go where the estimate says they finish first: on one chip of the current node, or K-split or split
 * by output columns over consecutive chips of it (even shares; a heavy product's column split over any later node
 * too, or into the next one, and its K split over whole nodes; a pair of heavy siblings side by side), among the
 * choices that fit each chip's SRAM. When none fits, the next node takes over (a line of nodes, as
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
  const candidatesOf = (i: number) =>
    candidates.get(i) ?? candidates.set(i, opCandidates(ctx, i, heavy(ctx, t, ctx.ops[i]!))).get(i)!;
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
  const firstReader = new Map<string, number>();
  const producer = new Map<string, number>();
  ctx.ops.forEach((op, i) => {
    for (const x of opInputs(op)) if (!firstReader.has(x)) firstReader.set(x, i);
    producer.set(op.out, i);
  });
  const siblings = heavySiblings(ctx, t);
  const deferred = new Set<number>();
  let node = 0;
  /** The last node any op is placed on so far. */
  let lastUsed = 0;
  const use = (p: Placement) => {
    lastUsed = Math.max(lastUsed, Math.floor((p.base + p.width - 1) / ctx.nodeChips));
  };
  for (let i = 0; i < ctx.ops.length; i++) {
    const op = ctx.ops[i]!;
    if (readsOnlySources(ctx, op) && firstReader.has(op.out)) {
      deferred.add(i);
      continue;
    }
    const waiting = [...new Set(opInputs(op).map((x) => producer.get(x) ?? -1))]
      .filter((d) => deferred.has(d))
      .sort((a, b) => a - b);
    const waitingItems = waiting.flatMap((d) => candidatesOf(d).whole[0]!);
    let best: { p: Placement; items: Item[][]; end: number } | undefined;
    // A heavy product's column split may go to any node from the current one on, not only the current node. Of the
    // nodes no op uses yet only the first is weighed: a later one is as empty and further (more hops, never sooner).
    const isHeavy = heavy(ctx, t, op);
    const ahead = isHeavy ? Math.min(Math.ceil(chips / ctx.nodeChips), lastUsed + 2) : node + 1;
    /** Every placement of op k that fits, with its estimated end (a trial: nothing is booked). */
    const choices = (k: number, at: number, more: readonly Item[]) => {
      const { whole, kSplits, columns } = candidatesOf(k);
      const got: { p: Placement; items: Item[][]; end: number }[] = [];
      const consider = (p: Placement, items: Item[][]) => {
        if (!items.every((it, c) => fits(it, p.base + c, at, c === 0 ? more : undefined))) return;
        got.push({ p, items, end: line.place(k, p, false) });
      };
      for (let n = node; n === node || n < ahead; n++) {
        const first = n * ctx.nodeChips;
        const last = Math.min(chips, first + ctx.nodeChips);
        if (n === node) {
          for (let c = first; c < last; c++) consider({ base: c, width: 1 }, whole);
          for (let s = first; s < last; s++)
            for (const { width, bounds, items } of kSplits)
              if (width <= last - s) consider({ base: s, width, kBounds: bounds }, items);
        }
        // An output left in place sends nothing back, so its split may run on into the next node: its chips there
        // get `a` over the gateway once each (Timeline: two hops), the same cost as routing it in. So may a heavy
        // product's, whose chips there send their tiles back over the gateway (tile-columns.ts).
        const end =
          ctx.leftInPlace.has(ctx.ops[k]!.out) || isHeavy ? Math.min(chips, last + ctx.nodeChips) : last;
        for (let s = first; s < last; s++)
          for (const { width, bounds, items } of columns)
            if (width <= end - s) consider({ base: s, width, nBounds: bounds }, items);
        // A heavy product's K split over whole nodes from this one (up to the first node no op uses yet): each node
        // sums its chips' partials on its first chip and sends one sum on (tile-matmul.ts), so the gateways carry
        // a partial sum per node, not per chip.
        if (ahead > node + 1)
          for (const { width, bounds, items } of wideKSplits(k))
            if (first + width <= Math.min(chips, ahead * ctx.nodeChips))
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
      const j = isHeavy ? siblings.get(i) : undefined;
      const theirs = j === undefined || mine.length === 0 ? [] : choices(j, j, []);
      const pairEnd = (p: Placement) => {
        let soonest = Number.POSITIVE_INFINITY;
        for (const q of theirs)
          if (q.p.base >= p.base + p.width || p.base >= q.p.base + q.p.width)
            soonest = Math.min(soonest, q.end);
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
    }
    const chosen = best as { p: Placement; items: Item[][]; end: number };
    for (const d of waiting) {
      const p = { base: chosen.p.base, width: 1 };
      fill(p.base).add(candidatesOf(d).whole[0]!, d);
      if (!keep) candidates.delete(d);
      line.place(d, p, true);
      places[d] = p;
      use(p);
      deferred.delete(d);
    }
    chosen.items.forEach((items, c) => {
      fill(chosen.p.base + c).add(items, i);
    });
    line.place(i, chosen.p, true);
    places[i] = chosen.p;
    use(chosen.p);
    if (!keep) candidates.delete(i);
    if (line.end >= limit) return undefined;
  }
  let used = 1;
  for (const p of places) used = Math.max(used, p.base + p.width);
  const chipBytes = Array.from({ length: used }, (_, c) => (fills[c] ? fills[c].total() : 0));
  return { ok: true, why: "", chips: used, stages: places, chipBytes, cycles: line.end };
}

/** For each heavy product (`heavy`), the next heavy product that reads the same input and not its output. */
function heavySiblings(ctx: PackContext, t: SpreadTiming): Map<number, number> {
  const out = new Map<number, number>();
  const open = new Map<string, number>();
  ctx.ops.forEach((op, i) => {
    if (op.kind !== "matmul" || !heavy(ctx, t, op)) return;
    const prev = open.get(op.a);
    if (prev !== undefined && !opInputs(op).includes(ctx.ops[prev]!.out)) out.set(prev, i);
    open.set(op.a, i);
  });
  return out;
}

/** An op's items placed whole, and K split and column split over w = 2, 3, ... chips (even shares, in order of w;
 * at most a node, or two for a column split of an output left in place or of a heavy product): the same at every
 * chip it starts from. */
interface Candidates {
  readonly whole: Item[][];
  readonly kSplits: readonly Split[];
  readonly columns: readonly Split[];
  /** K splits over 2, 3, .. whole nodes (even shares), made when a heavy product first asks (`wideSplits`). */
  wideK?: readonly Split[];
}

interface Split {
  readonly width: number;
  readonly bounds: readonly number[];
  readonly items: Item[][];
}

function opCandidates(ctx: PackContext, i: number, isHeavy: boolean): Candidates {
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
    // An output left in place, or a heavy product's, may be split over two nodes (spreadWithin).
    const most = ctx.leftInPlace.has(op.out) || isHeavy ? 2 * ctx.nodeChips : ctx.nodeChips;
    columns = evenSplits(0, nTiles, most, (bounds) => columnDemands(ctx, i, bounds));
  }
  return { whole: demands(ctx, i), kSplits, columns };
}

/**
 * A matmul's K splits over 2 .. `nodes` whole nodes, even shares, where each chip's partial sums (fp32, every output
 * tile) take no longer on its link than its share of the weight tiles on its planes, so that they stream out while
 * the planes work. Why only those: the time line prices a stream by its words, and the schedules disagree when the
 * link is the longer: llama2-70b-fp8's gate and up over two nodes (1 or 2 K tiles a chip, 360 words of sums, 6,900
 * link cycles against 2,400 on the planes) took 21,700 cycles where one node took 10,600 (docs/compiler.md); its
 * down projection (5 or 6 K tiles a chip, 104 words: 2,000 against 3,500) gained.
 */
function wideSplits(ctx: PackContext, t: SpreadTiming, i: number, nodes: number): Split[] {
  const op = ctx.ops[i]!;
  if (op.kind !== "matmul" || op.bLayout?.kind === "diagonal") return [];
  const [k0, k1] = kTilesOf(ctx, op);
  const out = ctx.tensors.get(op.out)!;
  const b = ctx.tensors.get(op.b)!;
  const nTiles = Math.ceil(out.cols / ctx.lanes);
  const rowsPerCycle = DTYPE_BYTES[b.dtype] === 1 ? t.convertWidth : t.maxLoadWidth;
  const load =
    b.role === "temp" ? Math.min(t.tileRows, b.rows) : Math.ceil(Math.min(t.tileRows, b.rows) / rowsPerCycle);
  const sums = out.rows * nTiles * 4 * t.wordCycles;
  const splits: Split[] = [];
  for (let m = 2; m <= nodes && m * ctx.nodeChips <= k1 - k0; m++) {
    const width = m * ctx.nodeChips;
    const planes = (Math.floor((k1 - k0) / width) * nTiles * load) / t.planes;
    if (sums > planes) break;
    for (const skew of NODE_SKEWS) {
      const bounds = skewedBounds(k0, k1 - k0, m, ctx.nodeChips, skew);
      if (bounds) splits.push({ width, bounds, items: demands(ctx, i, bounds) });
    }
  }
  return splits;
}

/** How much less of a wide K split each node after the first may take (node n of m: 1 - skew * n / (m - 1) of
 * the first's share), each a candidate the estimate chooses among: a later node gets its input over the one gateway
 * wire after the others' (Timeline `wideKSplit`) and sends its sum over more hops. llama2-70b-fp8's down took 0.4
 * (7 K tiles a chip on its first node, 4 or 5 on the second; with 0.6 offered too, the same): the unit of 4 layers
 * 171,552 -> 169,971 cycles (docs/compiler.md). */
const NODE_SKEWS: readonly number[] = [0, 0.2, 0.4];

/** K bounds of `tiles` tiles from k0 over m nodes of `per` chips, node n's chips weighted 1 - skew * n / (m - 1);
 * undefined when a chip would get none. */
function skewedBounds(k0: number, tiles: number, m: number, per: number, skew: number): number[] | undefined {
  const weight = (c: number) => 1 - (skew * Math.floor(c / per)) / (m - 1);
  let total = 0;
  for (let c = 0; c < m * per; c++) total += weight(c);
  const bounds = [k0];
  let acc = 0;
  for (let c = 0; c < m * per; c++) {
    acc += weight(c);
    const b = c === m * per - 1 ? k0 + tiles : k0 + Math.round((tiles * acc) / total);
    if (b <= bounds.at(-1)!) return undefined;
    bounds.push(b);
  }
  return bounds;
}

/**
 * Whether a product's column split may go to any node after the current one, not only to the current node. The
 * greedy otherwise moves on only once a node is full, so each of a unit of four llama2-70b-fp8 layers on three nodes
 * ran its MLP on one node's 32 planes, gate and up one after the other (25,000 cycles of a 57,000-cycle layer) while
 * the other nodes waited; one layer on 576 chips the same. Heavy: its weight tiles on one node's planes take at
 * least HEAVY_RATIO times as long as its input and output words on one link. The estimate prices a transfer between
 * nodes per pair of chips, not on the one gateway wire they share, so light ops moved off the node pay for traffic
 * the estimate does not see (measured on four layers on 40 chips, `--partition layers`, docs/compiler.md: every op
 * on any node 275,297 cycles, every column split 223,487, q and o too 227,174, only gate, up and down 213,588,
 * against 246,130 before).
 */
export function heavy(ctx: PackContext, t: SpreadTiming, op: KOp): boolean {
  if (!columnSplittable(ctx, op)) return false;
  const [a, b, out] = [op.a, op.b, op.out].map((x) => ctx.tensors.get(x)!) as [KTensor, KTensor, KTensor];
  const tiles = Math.ceil(b.rows / ctx.lanes) * Math.ceil(b.cols / ctx.lanes);
  const width = DTYPE_BYTES[b.dtype] === 1 ? t.convertWidth : t.maxLoadWidth;
  const load = (tiles * Math.ceil(Math.min(t.tileRows, b.rows) / width)) / (t.planes * ctx.nodeChips);
  const words = (x: KTensor) => x.rows * Math.ceil(x.cols / ctx.lanes) * DTYPE_BYTES[x.dtype];
  return load >= HEAVY_RATIO * (words(a) + words(out)) * t.wordCycles;
}

/** An assumption between the two measured cases: llama2-70b-fp8's gate, up and down (load 1.75 times their
 * words' link time) gain on another node, its q and o projections (1.13) lose. */
const HEAVY_RATIO = 1.5;
