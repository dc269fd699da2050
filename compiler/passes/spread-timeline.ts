// The spread's estimated time line (spread.ts): ops placed one by one -> when each chip's compute and each ordered
// pair of chips' link is free, when each computed tensor is written and arrives elsewhere, and the estimated end.
// An estimate for choosing a placement only; the scheduler's cycles are exact.
import type { Machine, SliceKind } from "../../arch/machine.ts";
import { DTYPE_BYTES } from "../graph/ir.ts";
import { besideTiles, type PartSplit } from "./in-place.ts";
import { type KOp, opInputs } from "./kernel-ir.ts";
import { kTilesOf, type PackContext, type Placement } from "./pack.ts";
import { type PlaneChain, type PlaneTiming, planeSplits } from "./plane-split.ts";
import { groupRows, productPlaneSplits, productShape } from "./product-groups.ts";
import { routeOver, sumHeads } from "./stages.ts";

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
  /** Cycles from a product's last group through the MXM to its results written back to SRAM (the MXM's latency and
   * the stream's SRAM round trip, `streamTrip`); its rows' drain is added on top (Timeline.matmulOn). */
  readonly matmulLatency: number;
  /** Cycles from a VXM op's issue to its result written, about. */
  readonly vxmLatency: number;
  readonly linkLatency: number;
  /** The wire's own latency: what a K split's relayed partial sum waits on each hop after the first (`linkLatency`
   * is a whole trip's, doubled for the send's read, the recv's write and the link's turn). */
  readonly hopLatency: number;
  /** Whether a node's last chip and the next node's first are wired directly (stages.ts `globalLinks`). */
  readonly gateways: boolean;
  /** Words a link sends in one piece (stages.ts moves a tile in pieces of at most this). */
  readonly bufferWords: number;
  /** Cycles a 320-byte word takes on a link. */
  readonly wordCycles: number;
  /** What decides a column split's planes a group (plane-split.ts, as the tiles do). */
  readonly planeSplit: PlaneTiming;
}

type Matmul = Extract<KOp, { kind: "matmul" }>;

/**
 * The estimated time line of a placement, op by op in list order: each chip's compute is one resource (an op starts
 * when its inputs are there and the chip's previous op has issued its work; results come a latency later), every
 * ordered pair of chips one link (a tensor crosses it once per destination chip, words one after another), and a
 * source (weight, cache, constant, input) is on every chip from cycle 0 (the emitter loads a copy where it is read).
 * An estimate for choosing only: the scheduler's cycles are exact.
 */
export class Timeline {
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
  /** Tensors kept in parts where they are made (in-place.ts): each chip's part is ready on that chip, no link. */
  readonly parted = new Map<string, PartSplit>();

  constructor(
    private readonly ctx: PackContext,
    private readonly t: SpreadTiming,
  ) {}

  /** The links stages.ts routes a transfer from chip `from` to chip `to` over. */
  private hops(from: number, to: number): number {
    return routeHops(from, to, this.ctx.nodeChips, this.t.gateways);
  }

  /** Words of rows x tiles of tensor x (a row of a 320-lane tile is one 320-byte word per element byte). */
  private words(x: string, tiles: number): number {
    const t = this.ctx.tensors.get(x)!;
    return t.rows * tiles * DTYPE_BYTES[t.dtype];
  }

  /** When `tiles` tiles of x can be read on chip c (`commit`: book the link). */
  private readyOn(x: string, c: number, tiles: number, commit: boolean): number {
    const m = this.made.get(x);
    if (!m) return 0;
    if (m.parts) {
      const k = c - m.chip;
      if (k >= 0 && k < m.parts.length) return m.parts[k]!;
    }
    if (m.chip === c) return m.at;
    const got = m.arrived?.get(c) ?? this.trialArrival(m, c);
    if (got !== undefined) return got;
    // The links stages.ts routes it over (with one wire between nodes, priced as two hops a node, a chip past the far
    // node's gateway chip looked as near as that chip, and spanning column splits of every product were chosen where
    // they lost: llama3-8b's up over 15 chips, 27,218 -> 27,407 cycles; counted as routed, not).
    const hops = this.hops(m.chip, c);
    const start = Math.max(m.at, this.trialLinkFree(m.chip, c) ?? this.linkFree[m.chip]?.[c] ?? 0);
    const sendCycles = this.words(x, tiles) * this.t.wordCycles;
    // A relay sends each piece on as it arrives (stages.ts moves a tile in pieces of at most a link buffer), so a
    // trip over several hops is the words once and, per further hop, one piece (`relay`).
    const at = start + this.t.linkLatency + sendCycles + (hops - 1) * this.relay(x, sendCycles);
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

  /** Cycles a hop after the first adds to a trip of x: a relay receives a piece and sends it on, while the other
   * pieces follow on the hops behind it; each hop keeps the trip's doubled latency (the relayed copy waits its turn
   * on each link as on the first). With the wire's own latency here (`hopLatency`, as wideKSplit prices its partial
   * sums), gpt2-small's lm head went over two nodes and ran 85,812 -> 87,865 cycles. */
  private relay(x: string, sendCycles: number): number {
    const t = this.ctx.tensors.get(x)!;
    const pieceRows = Math.max(1, Math.floor(this.t.bufferWords / DTYPE_BYTES[t.dtype]));
    const piece = Math.min(t.rows, pieceRows) * DTYPE_BYTES[t.dtype] * this.t.wordCycles;
    return this.t.linkLatency + Math.min(piece, sendCycles);
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
   * and its activations; with fewer groups than planes the K tiles split over planes too (tile-matmul.ts; a column
   * split's where that gains: plane-split.ts). */
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
    // The output tiles on the MXM (a band's or window's; the others are zeros), each a group holding a plane, its
    // row chunks folded into its tiles' passes; how many planes each takes is the tiles' count (`timelineSplits`).
    const groups =
      columns ??
      (lay?.kind === "band" || lay?.kind === "window" ? lay.nTiles[1] - lay.nTiles[0] : this.tilesOf(op.out));
    const perGroup = lay?.kind === "diagonal" ? lay.below + lay.above + 1 : k1 - k0;
    const rows = Math.min(this.t.tileRows, b.rows);
    const width = DTYPE_BYTES[b.dtype] === 1 ? this.t.convertWidth : this.t.maxLoadWidth;
    const load = b.role === "temp" ? rows : Math.ceil(rows / width);
    const perTile = Math.max(load, a.rows * this.t.cyclesPerVector(DTYPE_BYTES[a.dtype]));
    const splits =
      columns === undefined
        ? timelineSplits(this.ctx, this.t.planes, op, perGroup)
        : this.columnSplits(op, columns, perGroup, c);
    // A plane takes its groups one after another, each group's passes behind the last's (the accumulators drain
    // while the next group's weights pass); the results' way back to SRAM comes once, after the last group.
    const job = Math.ceil(perGroup / splits) * perTile;
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
    return end + this.t.matmulLatency + a.rows;
  }

  /** The products reading tensor x as `a`, made once (columnSplits asks for a tensor kept in parts). */
  private readersOf(x: string): readonly Matmul[] {
    if (!this.readers) {
      this.readers = new Map();
      for (const op of this.ctx.ops)
        if (op.kind === "matmul") (this.readers.get(op.a) ?? this.readers.set(op.a, []).get(op.a)!).push(op);
    }
    return this.readers.get(x) ?? [];
  }

  private readers: Map<string, Matmul[]> | undefined;

  /** Planes each group of a column split's chip `c` takes, as the tiles take them (with the products kept in parts
   * beside it there: in-place.ts `besideTiles`). */
  private columnSplits(op: Matmul, columns: number, kTiles: number, c: number): number {
    const split = this.parted.get(op.out);
    const beside = split
      ? besideTiles(this.readersOf(op.a), op, (o) => this.parted.get(o.out), c - split.base)
      : 0;
    return planeSplits(this.t.planeSplit, columnChain(this.ctx, op, columns, kTiles, beside));
  }

  /** Estimated finish of op i placed as `p` (`commit`: make it so). */
  place(i: number, p: Placement, commit: boolean): number {
    this.trialLinks.length = 0;
    this.trialArrived.length = 0;
    const op = this.ctx.ops[i]!;
    return this.placeOp(op, p, commit);
  }

  private placeOp(op: KOp, p: Placement, commit: boolean): number {
    if (op.kind !== "matmul" && p.nBounds && p.width > 1) {
      // Split by column ranges (in-place.ts): each chip its range, from its parts of the inputs.
      const n = p.nBounds;
      const rows = this.ctx.tensors.get(op.out)!.rows;
      const parts: number[] = [];
      for (let c = 0; c + 1 < n.length; c++) {
        const chip = p.base + c;
        let ready = this.vxm[chip] ?? 0;
        for (const x of opInputs(op))
          ready = Math.max(ready, this.readyOn(x, chip, n[c + 1]! - n[c]!, commit));
        const work = Math.ceil((rows * (n[c + 1]! - n[c]!)) / 4);
        if (commit) this.vxm[chip] = Math.max(this.vxm[chip] ?? 0, ready + work);
        parts.push(ready + work + this.t.vxmLatency);
      }
      return this.made_(op.out, p.base, Math.max(...parts), commit, parts);
    }
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
      const inParts = this.parted.has(op.out);
      const kept = this.ctx.leftInPlace.has(op.out) || inParts;
      const parts: number[] = [];
      let end = 0;
      for (let c = 0; c + 1 < n.length; c++) {
        const chip = p.base + c;
        let ready = 0;
        for (const x of opInputs(op)) ready = Math.max(ready, this.readyOn(x, chip, this.tilesOf(x), commit));
        const local = this.matmulOn(op, chip, kFirst, kEnd, ready, commit, n[c + 1]! - n[c]!);
        parts.push(local);
        const words = out.rows * (n[c + 1]! - n[c]!) * DTYPE_BYTES[out.dtype];
        const sendCycles = words * this.t.wordCycles;
        // From another node, over the hops stages.ts routes it, relayed (readyOn).
        const hops = this.hops(chip, p.base);
        const relayed = hops > 1 ? (hops - 1) * this.relay(op.out, sendCycles) : 0;
        end = Math.max(end, c === 0 || kept ? local : local + this.t.linkLatency + sendCycles + relayed);
      }
      return this.made_(op.out, p.base, end, commit, inParts ? parts : undefined);
    }
    if (p.width > this.ctx.nodeChips)
      return this.made_(op.out, p.base, this.wideKSplit(op, p, commit), commit);
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

  /**
   * When a K split over several whole nodes (spread.ts `wideSplits`) is written: every chip sends its partial sums to
   * its node's head (stages.ts `sumHeads`), which adds them and sends one sum to chip 0, over the hops stages.ts
   * routes it (as readyOn; tile-matmul.ts). A tile's partial sum leaves as soon as its group ends, and
   * wideSplits takes only splits whose sums take no longer on a link than the planes' work, so the sums stream
   * while the planes work: after the last group come one round of tiles (a group per plane) and the hops'
   * latencies. (A K split in one node keeps the whole trip after its last group: priced so here as well, the
   * norms' small products of llama2-70b-fp8 moved and its unit took 2,000 cycles a layer longer.)
   */
  private wideKSplit(op: Matmul, p: Placement, commit: boolean): number {
    const out = this.ctx.tensors.get(op.out)!;
    const bounds = p.kBounds!;
    const tiles = this.tilesOf(op.out);
    const tail = Math.min(this.t.planes, tiles) * out.rows * 4 * this.t.wordCycles;
    const nodeOf = (c: number) => Math.floor(c / this.ctx.nodeChips);
    // Each later node's sums meet on its head (stages.ts `sumHeads`, as tile-matmul.ts adds them).
    const headOf = sumHeads(
      p.base,
      bounds.length - 1,
      this.ctx.nodeChips,
      (c) => bounds[c + 1]! - bounds[c]!,
    );
    /** By the head of each node (chip 0 for its own): when its chips' sums are there, and how many chips it has. */
    const heads = new Map<number, { at: number; n: number }>();
    // The K tiles of `a` for the chips of other nodes leave its node over the wire of the position they cross at,
    // one chip's after another where they share it (stages.ts routes them so): by direction and position, when
    // that wire is free.
    const made = this.made.get(op.a);
    const wire = new Map<number, number>();
    for (let c = 0; c < bounds.length - 1; c++) {
      const chip = p.base + c;
      const [k0, k1] = [bounds[c]!, bounds[c + 1]!];
      let ready = this.readyOn(op.a, chip, k1 - k0, commit);
      // A tensor kept in parts is read where it is (readyOn): nothing on the wire.
      const away = made && !made.parts ? nodeOf(chip) - nodeOf(made.chip) : 0;
      if (made && away !== 0) {
        const send = this.words(op.a, k1 - k0) * this.t.wordCycles;
        const at = away > 0 ? chip % this.ctx.nodeChips : made.chip % this.ctx.nodeChips;
        const key = Math.sign(away) * (1 + at);
        const free = Math.max(made.at, wire.get(key) ?? 0) + send;
        wire.set(key, free);
        const hops = this.hops(made.chip, chip);
        ready = Math.max(ready, free + this.t.linkLatency + (hops - 1) * this.relay(op.a, send));
      }
      if (c === 0)
        for (const x of opInputs(op))
          if (x !== op.a) ready = Math.max(ready, this.readyOn(x, chip, this.tilesOf(x), commit));
      const local = this.matmulOn(op, chip, k0, k1, ready, commit);
      const head = nodeOf(chip) === nodeOf(p.base) ? p.base : p.base + headOf(c);
      const h = heads.get(head) ?? heads.set(head, { at: 0, n: 0 }).get(head)!;
      h.at = Math.max(h.at, chip === head ? local : local + this.t.linkLatency + tail);
      h.n++;
    }
    // Each head adds its node's sums and sends one sum to chip 0 over the hops stages.ts routes it, relayed on the
    // way (a hop after the first: the wire's latency and one tile's sum; measured on llama2-70b-fp8's unit, a
    // 4-word partial sum sent from chip 20 at cycle 37,436 was received on chip 16 at 37,751); chip 0 adds them all.
    const hop = this.t.hopLatency + tail / Math.min(this.t.planes, tiles);
    const summed = (at: number, n: number) =>
      n > 1 ? at + this.t.vxmLatency + Math.ceil((out.rows * tiles * n) / 4) : at;
    const own = heads.get(p.base) ?? { at: 0, n: 0 };
    let at = own.at;
    let n = own.n;
    for (const [head, h] of heads) {
      if (head === p.base) continue;
      const hops = this.hops(head, p.base);
      at = Math.max(at, summed(h.at, h.n) + this.t.linkLatency + tail + Math.max(0, hops - 1) * hop);
      n++;
    }
    return summed(at, n) + this.t.vxmLatency;
  }

  private made_(out: string, chip: number, end: number, commit: boolean, parts?: readonly number[]): number {
    if (commit) {
      this.made.set(out, { chip, at: end, arrived: undefined, parts });
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
  /** A tensor kept in parts: when chip `chip + c`'s part is written. */
  readonly parts?: readonly number[];
}

/** The planes each group of a product's chain of `kTiles` K tiles (one chip's share) takes, as tile-matmul.ts splits
 * it: product-groups.ts's count (the estimate's and the tiles' agree). */
export function timelineSplits(ctx: PackContext, planes: number, op: Matmul, kTiles: number): number {
  return productPlaneSplits(planes, productShape(ctx, op), ctx.chunkRows, kTiles);
}

/** A group's K chain on a chip of a column split with `columns` of its output tiles there (and `beside` column
 * tiles of products beside it: in-place.ts `besideTiles`), as tile-columns.ts lowers it: its row chunks are groups
 * too (plane-split.ts decides the planes from it). */
export function columnChain(
  ctx: PackContext,
  op: Matmul,
  columns: number,
  kTiles: number,
  beside = 0,
): PlaneChain {
  const a = ctx.tensors.get(op.a)!;
  const b = ctx.tensors.get(op.b)!;
  const chunk = groupRows(kTiles, ctx.chunkRows);
  return {
    groups: columns * Math.ceil(a.rows / chunk),
    beside: beside * Math.ceil(a.rows / chunk),
    kTiles,
    rows: Math.min(a.rows, chunk),
    weightBytes: DTYPE_BYTES[b.dtype],
    activationBytes: DTYPE_BYTES[a.dtype],
    computedWeight: b.role === "temp",
  };
}

/** Whether an op reads nothing computed (a matmul is left where its weights' SRAM puts it). */
export function readsOnlySources(ctx: PackContext, op: KOp): boolean {
  return op.kind !== "matmul" && opInputs(op).every((x) => ctx.tensors.get(x)!.role !== "temp");
}

/** The links a transfer from chip `from` to chip `to` crosses: the hops of stages.ts's own route (`routeOver`), on
 * nodes of `nodeChips` chips with or without (`gateways`) a node's last chip wired to the next node's first. */
export function routeHops(from: number, to: number, nodeChips: number, gateways: boolean): number {
  return routeOver(nodeChips, gateways, from, to).length - 1;
}

/** Cycles a value spends outside its unit on one trip through a unit of `kind` (vxm, mxm, sxm: a link's): the read's
 * latency, the stream's way from a MEM slice to the unit and from the unit to a MEM slice (a slice position a cycle,
 * over the mean distance between the slice order's MEM slices and the unit's), and the write's latency (timing.ts,
 * docs/isa.md). The unit's own latency and the words' passes are the caller's. */
export function streamTrip(m: Machine, kind: SliceKind): number {
  let sum = 0;
  let n = 0;
  m.sliceOrder.forEach((a, p) => {
    if (a === "mem")
      m.sliceOrder.forEach((b, q) => {
        if (b === kind) {
          sum += Math.abs(p - q);
          n++;
        }
      });
  });
  return m.mem.readLatency + (2 * sum) / n + m.mem.writeLatency;
}
