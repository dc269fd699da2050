// Spreading a model over the chips it is given, for speed: kernel ops in order + a chip count -> a placement per
// op (one chip, or a K or output-column split over consecutive chips of a node) chosen greedily for the earliest
// estimated finish,
// and that estimate; or nothing when the ops do not fit the chips this way. The SRAM check is pack.ts's.
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

/** The machine numbers the estimate uses (partition.ts reads them from the preset). */
export interface SpreadTiming {
  readonly planes: number;
  /** Rows of a weight tile and the rows a stored weight loads a cycle (a computed one loads one). */
  readonly tileRows: number;
  readonly maxLoadWidth: number;
  /** Rows a cycle an 8-bit stored weight loads: each row is converted on the VXM on its way (allocate-round.ts). */
  readonly convertWidth: number;
  /** MXM cycles per activation vector, by element bytes. */
  readonly cyclesPerVector: (elemBytes: number) => number;
  /** Cycles from a matmul's last weight tile to its result written (MXM and VXM latencies, about). */
  readonly matmulLatency: number;
  /** Cycles from a VXM op's issue to its result written, about. */
  readonly vxmLatency: number;
  readonly linkLatency: number;
  /** Cycles a 320-byte word takes on a link. */
  readonly wordCycles: number;
}

type Matmul = Extract<KOp, { kind: "matmul" }>;

/**
 * The estimated time line of a placement, op by op in list order: each chip's compute is one resource (an op starts
 * when its inputs are there and the chip's previous op has issued its work; results come a latency later), every
 * ordered pair of chips one link (a tensor crosses it once per destination chip, words one after another), and a
 * source (weight, cache, constant, input) is on every chip from cycle 0 (the emitter loads a copy where it is read).
 * An estimate for choosing only: the scheduler's cycles are exact.
 */
class Timeline {
  /** Per chip: when each MXM plane and the VXM are free. */
  private readonly planes: number[][] = [];
  private readonly vxm: number[] = [];
  /** When each link is free, by sending chip and receiving chip (arrays, not maps by a string: the spread asks the
   * time line for every candidate of every op). */
  private readonly linkFree: number[][] = [];
  /** A trial placement's link bookings (sender, receiver, free: three entries each) and arrivals, dropped when the
   * next placement starts. */
  private readonly trialLinks: number[] = [];
  private readonly trialArrived: { made: Made; chip: number; at: number }[] = [];
  /** Chip and cycle a computed tensor is written at, and when its copies arrive on other chips. */
  private readonly made = new Map<string, Made>();
  end = 0;

  constructor(
    private readonly ctx: PackContext,
    private readonly t: SpreadTiming,
  ) {}

  /** Words of rows x tiles of tensor x (a row of a 320-lane tile is one 320-byte word per element byte). */
  private words(x: string, tiles: number): number {
    const t = this.ctx.tensors.get(x)!;
    return t.rows * tiles * DTYPE_BYTES[t.dtype];
  }

  /** When `tiles` tiles of x can be read on chip c (`commit`: book the link). */
  private readyOn(x: string, c: number, tiles: number, commit: boolean): number {
    const m = this.made.get(x);
    if (!m) return 0;
    if (m.chip === c) return m.at;
    const got = m.arrived?.get(c) ?? this.trialArrival(m, c);
    if (got !== undefined) return got;
    const hops = Math.max(
      1,
      Math.abs(Math.floor(m.chip / this.ctx.nodeChips) - Math.floor(c / this.ctx.nodeChips)) * 2,
    );
    const start = Math.max(m.at, this.trialLinkFree(m.chip, c) ?? this.linkFree[m.chip]?.[c] ?? 0);
    const sendCycles = this.words(x, tiles) * this.t.wordCycles;
    const at = start + hops * (this.t.linkLatency + sendCycles);
    // A trial books the link too, on the side: the inputs of one op that share a link cross it one after another
    // (three inputs from one chip cost three transfers, not one).
    if (commit) {
      this.linkFree[m.chip] ??= [];
      this.linkFree[m.chip]![c] = start + sendCycles;
      m.arrived ??= new Map();
      m.arrived.set(c, at);
    } else {
      this.trialLinks.push(m.chip, c, start + sendCycles);
      this.trialArrived.push({ made: m, chip: c, at });
    }
    return at;
  }

  /** The trial's latest booking of the link from chip `from` to chip `to`. */
  private trialLinkFree(from: number, to: number): number | undefined {
    const l = this.trialLinks;
    for (let j = l.length - 3; j >= 0; j -= 3) if (l[j] === from && l[j + 1] === to) return l[j + 2];
    return undefined;
  }

  private trialArrival(m: Made, chip: number): number | undefined {
    for (const a of this.trialArrived) if (a.made === m && a.chip === chip) return a.at;
    return undefined;
  }

  private tilesOf(x: string): number {
    return Math.ceil(this.ctx.tensors.get(x)!.cols / this.ctx.lanes);
  }

  /** Cycles its MXM planes take to run K tiles k0 .. k1 - 1 of a matmul on chip c from `ready` (`commit`: book
   * them): one output column tile (a group) holds a plane while its weight tiles pass, each the larger of its load
   * and its activations; with fewer groups than planes the K tiles split over planes too (tile.ts). */
  private matmulOn(
    op: Matmul,
    c: number,
    k0: number,
    k1: number,
    ready: number,
    commit: boolean,
    columns?: number,
  ): number {
    const a = this.ctx.tensors.get(op.a)!;
    const b = this.ctx.tensors.get(op.b)!;
    const lay = op.bLayout;
    const groups =
      columns ??
      (lay?.kind === "band" || lay?.kind === "window" ? lay.nTiles[1] - lay.nTiles[0] : this.tilesOf(op.out));
    const perGroup = lay?.kind === "diagonal" ? lay.below + lay.above + 1 : k1 - k0;
    const rows = Math.min(this.t.tileRows, b.rows);
    const width = DTYPE_BYTES[b.dtype] === 1 ? this.t.convertWidth : this.t.maxLoadWidth;
    const load = b.role === "temp" ? rows : Math.ceil(rows / width);
    const perTile = Math.max(load, a.rows * this.t.cyclesPerVector(DTYPE_BYTES[a.dtype]));
    const splits =
      groups < this.t.planes ? Math.max(1, Math.min(perGroup, Math.floor(this.t.planes / groups))) : 1;
    const job = Math.ceil(perGroup / splits) * perTile + this.t.matmulLatency;
    const planes = [...(this.planes[c] ?? new Array<number>(this.t.planes).fill(0))];
    let end = ready;
    for (let j = 0; j < groups * splits; j++) {
      let p = 0;
      for (let q = 1; q < planes.length; q++) if (planes[q]! < planes[p]!) p = q;
      const at = Math.max(ready, planes[p]!) + job;
      planes[p] = at;
      end = Math.max(end, at);
    }
    if (commit) this.planes[c] = planes;
    return end;
  }

  /** Estimated finish of op i placed as `p` (`commit`: make it so). */
  place(i: number, p: Placement, commit: boolean): number {
    this.trialLinks.length = 0;
    this.trialArrived.length = 0;
    const op = this.ctx.ops[i]!;
    if (op.kind !== "matmul") {
      // An op of sources alone can run from cycle 0: the scheduler takes tasks as their inputs are ready.
      let ready = readsOnlySources(this.ctx, op) ? 0 : (this.vxm[p.base] ?? 0);
      for (const x of opInputs(op)) ready = Math.max(ready, this.readyOn(x, p.base, this.tilesOf(x), commit));
      const out = this.ctx.tensors.get(op.out)!;
      // A vector per output row and tile, a few ALUs at a time.
      const work = Math.ceil((out.rows * this.tilesOf(op.out)) / 4);
      if (commit) this.vxm[p.base] = Math.max(this.vxm[p.base] ?? 0, ready + work);
      return this.made_(op.out, p.base, ready + work + this.t.vxmLatency, commit);
    }
    const [kFirst, kEnd] = kTilesOf(this.ctx, op);
    const bounds = p.kBounds && p.width > 1 ? p.kBounds : [kFirst, kEnd];
    const others = opInputs(op).filter((x) => x !== op.a);
    const out = this.ctx.tensors.get(op.out)!;
    if (p.nBounds && p.width > 1) {
      // A column split: every chip reads all of a and the epilogue's rows, computes its output tiles whole and
      // sends them (the output type) to the first chip, or keeps them (a model output no op reads).
      const n = p.nBounds;
      const kept = this.ctx.leftInPlace.has(op.out);
      let end = 0;
      for (let c = 0; c + 1 < n.length; c++) {
        const chip = p.base + c;
        let ready = 0;
        for (const x of opInputs(op)) ready = Math.max(ready, this.readyOn(x, chip, this.tilesOf(x), commit));
        const local = this.matmulOn(op, chip, kFirst, kEnd, ready, commit, n[c + 1]! - n[c]!);
        const words = out.rows * (n[c + 1]! - n[c]!) * DTYPE_BYTES[out.dtype];
        end = Math.max(end, c === 0 || kept ? local : local + this.t.linkLatency + words * this.t.wordCycles);
      }
      return this.made_(op.out, p.base, end, commit);
    }
    // Partial sums: fp32, every output row and column tile, one link per remote chip into the first.
    const partialWords = out.rows * this.tilesOf(op.out) * 4;
    let end = 0;
    for (let c = 0; c < bounds.length - 1; c++) {
      const chip = p.base + c;
      const [k0, k1] = [bounds[c]!, bounds[c + 1]!];
      let ready = this.readyOn(op.a, chip, k1 - k0, commit);
      if (c === 0)
        for (const x of others) ready = Math.max(ready, this.readyOn(x, chip, this.tilesOf(x), commit));
      const local = this.matmulOn(op, chip, k0, k1, ready, commit);
      end = Math.max(end, c === 0 ? local : local + this.t.linkLatency + partialWords * this.t.wordCycles);
    }
    if (bounds.length > 2)
      end += this.t.vxmLatency + Math.ceil((out.rows * this.tilesOf(op.out) * p.width) / 4);
    return this.made_(op.out, p.base, end, commit);
  }

  private made_(out: string, chip: number, end: number, commit: boolean): number {
    if (commit) {
      this.made.set(out, { chip, at: end, arrived: undefined });
      this.end = Math.max(this.end, end);
    }
    return end;
  }
}

/** Where and when a computed tensor is written, and when its copies arrive on other chips (by chip). */
interface Made {
  readonly chip: number;
  readonly at: number;
  arrived: Map<number, number> | undefined;
}

/** Whether an op reads nothing computed (a matmul is left where its weights' SRAM puts it). */
function readsOnlySources(ctx: PackContext, op: KOp): boolean {
  return op.kind !== "matmul" && opInputs(op).every((x) => ctx.tensors.get(x)!.role !== "temp");
}

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
 * too), among the choices that fit each chip's SRAM. When none fits, the next node takes over (a line of nodes, as
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
    const { whole, kSplits, columns } = candidatesOf(i);
    let best: { p: Placement; items: Item[][]; end: number } | undefined;
    // A heavy product's column split may go to any node from the current one on, not only the current node. Of the
    // nodes no op uses yet only the first is weighed: a later one is as empty and further (more hops, never sooner).
    const ahead = heavy(ctx, t, op) ? Math.min(Math.ceil(chips / ctx.nodeChips), lastUsed + 2) : node + 1;
    while (!best) {
      if (node * ctx.nodeChips >= chips) return undefined;
      const consider = (p: Placement, items: Item[][]) => {
        if (
          !items.every((it, c) => fits(it, p.base + c, waiting[0] ?? i, c === 0 ? waitingItems : undefined))
        )
          return;
        const end = line.place(i, p, false);
        if (!best || end < best.end) best = { p, items, end };
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
        // get `a` over the gateway once each (Timeline: two hops), the same cost as routing it in.
        const end = ctx.leftInPlace.has(op.out) ? Math.min(chips, last + ctx.nodeChips) : last;
        for (let s = first; s < last; s++)
          for (const { width, bounds, items } of columns)
            if (width <= end - s) consider({ base: s, width, nBounds: bounds }, items);
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

/** An op's items placed whole, and K split and column split over w = 2, 3, ... chips (even shares, in order of w;
 * at most a node, or two for a column split of an output left in place): the same at every chip it starts from. */
interface Candidates {
  readonly whole: Item[][];
  readonly kSplits: readonly Split[];
  readonly columns: readonly Split[];
}

interface Split {
  readonly width: number;
  readonly bounds: readonly number[];
  readonly items: Item[][];
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
    // An output left in place may be split over two nodes (spreadWithin).
    const most = ctx.leftInPlace.has(op.out) ? 2 * ctx.nodeChips : ctx.nodeChips;
    columns = evenSplits(0, nTiles, most, (bounds) => columnDemands(ctx, i, bounds));
  }
  return { whole: demands(ctx, i), kSplits, columns };
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
