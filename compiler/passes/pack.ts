// The partitioner's SRAM estimate and stage packing: kernel ops in order -> the chips of each op (one, or a range
// its matmul's K tiles are split over, with each chip's share), and the fewest chips this greedy packing needs. The bytes it counts on a chip are what
// `allocate` will place there: a parameter, state or input tile once per chip that reads it (copies on other
// chips counted there), and temporaries by their lifetimes (space is reused after a tensor's last reader), per
// element size, since allocate's free lists are per slice group and a group holds one element size.
import { ELEM_BYTES } from "../../arch/isa.ts";
import { DTYPE_BYTES } from "../graph/ir.ts";
import { ChipFill, type Item, item, keyPrefix } from "./chip-fill.ts";
import { type KOp, type KTensor, opInputs } from "./kernel-ir.ts";
import { relayPeaks } from "./pack-relay.ts";
import { productPlaneSplits, productShape } from "./product-groups.ts";
import { chipCopyId } from "./tile-context.ts";

/** A pipeline stage: chips `base .. base + width - 1`; its ops' K splits use them (a split's partial sums from
 * another node travel over the gateway chips). */
export interface Stage {
  readonly base: number;
  readonly width: number;
}

export interface Packing {
  readonly ok: boolean;
  readonly why: string;
  readonly chips: number;
  readonly stages: readonly Placement[];
  /** Estimated SRAM bytes of each chip used (index = chip), the same count the packing checked. */
  readonly chipBytes: readonly number[];
}

export interface PackContext {
  readonly ops: readonly KOp[];
  readonly tensors: ReadonlyMap<string, KTensor>;
  readonly lanes: number;
  /** MXM planes: a matmul with fewer output tiles than planes drains one fp32 partial sum per plane it uses. */
  readonly planes: number;
  /** Bytes a chip may fill. */
  readonly budget: number;
  readonly nodeChips: number;
  /** Rows a matmul's output chunk may have (tile.ts: at most the accumulator's rows). */
  readonly chunkRows: number;
  /** Index of the last op reading each tensor (model outputs: never freed). */
  readonly lastUse: ReadonlyMap<string, number>;
  /** The model outputs no op reads (`unreadOutputs`). */
  readonly leftInPlace: ReadonlySet<string>;
  /** Whether a node's last chip is wired to the next node's first (stages.ts `route`): given, the packing counts
   * the relay copies of tensors read across nodes (pack-relay.ts); absent, it does not. */
  readonly gateways?: boolean;
}

export function packContext(
  ops: readonly KOp[],
  tensors: ReadonlyMap<string, KTensor>,
  outputs: readonly string[],
  m: {
    lanes: number;
    planes: number;
    budget: number;
    nodeChips: number;
    chunkRows: number;
    gateways?: boolean;
  },
): PackContext {
  const lastUse = new Map<string, number>();
  ops.forEach((op, i) => {
    for (const x of opInputs(op)) lastUse.set(x, i);
  });
  for (const o of outputs) lastUse.set(o, Number.POSITIVE_INFINITY);
  return { ops, tensors, ...m, lastUse, leftInPlace: unreadOutputs(ops, outputs) };
}

/** K tiles of a matmul's `a` that chip `c` of `n` takes in an even split (tile.ts without explicit bounds). */
export function kRange(kFirst: number, kTiles: number, c: number, n: number): readonly [number, number] {
  return [kFirst + Math.floor((c * kTiles) / n), kFirst + Math.floor(((c + 1) * kTiles) / n)];
}

/** A matmul's K tiles of `a` that may be nonzero. */
export function kTilesOf(ctx: PackContext, op: Extract<KOp, { kind: "matmul" }>): readonly [number, number] {
  return op.kTiles ?? [0, Math.ceil(ctx.tensors.get(op.a)!.cols / ctx.lanes)];
}

/**
 * The items op `i` puts on each chip it uses (index = chip from its first). A matmul takes K tiles
 * `bounds[c] .. bounds[c + 1] - 1` on chip c (one chip: all of them); `remotes` is how many other chips'
 * partial sums its first chip receives (at least the split's, for a reservation). `only`: the items of that chip
 * alone (the one entry returned), for packStages' search of one chip's share.
 */
export function demands(
  ctx: PackContext,
  i: number,
  bounds?: readonly number[],
  remotes = 0,
  only?: number,
): Item[][] {
  const op = ctx.ops[i]!;
  const { lanes, tensors } = ctx;
  const tilesOf = (t: KTensor) => Math.ceil(t.cols / lanes);
  const input = (t: KTensor, tile: number, c = 0): Item => inputItem(ctx, i, t, tile, c);
  const whole = (t: KTensor): Item[] => {
    const items: Item[] = [];
    for (let j = 0; j < tilesOf(t); j++) items.push(input(t, j));
    return items;
  };
  const out = tensors.get(op.out)!;
  const outItems = whole(out);
  if (op.kind !== "matmul") return [[...opInputs(op).flatMap((x) => whole(tensors.get(x)!)), ...outItems]];
  const a = tensors.get(op.a)!;
  const b = tensors.get(op.b)!;
  const [kFirst, kEnd] = kTilesOf(ctx, op);
  const bs = bounds ?? [kFirst, kEnd];
  const n = bs.length - 1;
  // A reservation for received partial sums means a split, even while its later chips are not chosen yet.
  const splitMode = n > 1 || remotes > 0;
  const nTiles = tilesOf(out);
  const lay = op.bLayout;
  const partial = (id: string): Item =>
    item(id, undefined, out.rows * nTiles * lanes * ELEM_BYTES.fp32, false, ELEM_BYTES.fp32, i);
  // The MXM groups; fewer than the planes: K split over planes too, each drawing a partial sum, as the tiles split
  // it (product-groups.ts, the rule tile-matmul.ts tiles by).
  const shape = productShape(ctx, op);
  const perChip: Item[][] = [];
  for (let c = only ?? 0; c < (only === undefined ? n : only + 1); c++) {
    const [k0, k1] = [bs[c]!, bs[c + 1]!];
    const items: Item[] = [];
    for (let t = k0; t < k1; t++) {
      items.push(input(a, t, c));
      if (lay?.kind !== "diagonal") items.push(input(b, lay?.kind === "band" ? t - kFirst : t, c));
    }
    if (lay?.kind === "diagonal") items.push(...whole(b));
    const splits = productPlaneSplits(ctx.planes, shape, ctx.chunkRows, k1 - k0);
    if (splitMode || splits > 1)
      for (let s = 0; s < splits; s++) items.push(partial(`${out.id}.c${c}.part${s}`));
    if (c > 0 && splits > 1) items.push(partial(`${out.id}.c${c}.sum`));
    if (c === 0) {
      for (let r = 1; r <= Math.max(remotes, n - 1); r++) items.push(partial(`${out.id}.from${r}`));
      for (const e of op.epilogue ?? []) if (e.kind === "row") items.push(...whole(tensors.get(e.b)!));
      items.push(...outItems);
    }
    perChip.push(items);
  }
  return perChip;
}

/**
 * Bytes of sources every placement of the ops holds on some chip: each tile of a weight, cache, constant or input an
 * op reads, counted once over all chips; so chips of `budget` bytes cannot hold the ops when this is above
 * chips x budget. Why it bounds: each way of placing an op (whole, a K split, a column split: packStages, spread.ts)
 * holds each source tile the whole placement holds, as one pinned item on one chip (a K split: chip c's copy of
 * its tiles) or as pieces of it (a column split: each chip's rows of the weight); a chip counts a key once, and its
 * pinned bytes never pass its budget (both check `totalWith` before each add). Ops whose output is itself a source
 * are left out (a column split holds its output as a temporary). `whole`: op i's whole items when already made.
 */
export function sourceFloor(
  ctx: PackContext,
  whole: (i: number) => readonly Item[] | undefined = () => undefined,
): number {
  const seen = new Set<number>();
  let bytes = 0;
  ctx.ops.forEach((op, i) => {
    if (ctx.tensors.get(op.out)!.role !== "temp") return;
    for (const it of whole(i) ?? demands(ctx, i)[0]!)
      if (it.pinned && !seen.has(it.id)) {
        seen.add(it.id);
        bytes += it.bytes;
      }
  });
  return bytes;
}

/** Tile `tile` of tensor t as op i reads it on chip c of its placement. A source read on chip c > 0 of a split is
 * tile.ts's copy `x@c{c}`, a tensor of its own: allocate stores it beside the chip's copy of x that unsplit ops read
 * (a window's v cache, a shared constant), so it is counted apart (llama2-7b, 4 layers, spread: chips 1 and 2 held
 * 23.6 and 28.8 MB more v cache than estimated). */
function inputItem(ctx: PackContext, i: number, t: KTensor, tile: number, c: number): Item {
  const memo = INPUT_MEMO;
  if (memo.ctx !== ctx || memo.op !== i) {
    memo.ctx = ctx;
    memo.op = i;
    memo.items = new Map();
  }
  const byChip = memo.items.get(t) ?? memo.items.set(t, []).get(t)!;
  // A computed tensor is the same on every chip.
  const copy = t.role === "temp" ? 0 : c;
  byChip[copy] ??= [];
  const row = byChip[copy]!;
  row[tile] ??= item(
    sourceCopy(t, copy),
    tile,
    t.rows * ctx.lanes * DTYPE_BYTES[t.dtype],
    t.role !== "temp",
    DTYPE_BYTES[t.dtype],
    ctx.lastUse.get(t.id) ?? i,
  );
  return row[tile]!;
}

/** The items inputItem made for the op last asked about, by tensor, chip and tile: the spread asks demands and
 * columnDemands for every candidate of an op one after another (opCandidates), and packStages for every share it
 * tries, so a tile on a chip is one item over all of them, made and its key hashed once (items are never changed). */
const INPUT_MEMO: { ctx?: PackContext; op: number; items: Map<KTensor, Item[][]> } = {
  op: -1,
  items: new Map(),
};

/** The tensor chip c of a split reads for x (tile.ts `onChip`): a source's own copy `x@c{c}` on the chips after
 * the first, which stages.ts keeps apart from the chip's other copy of x; a computed tensor's copy is that one. */
function sourceCopy(t: KTensor, c: number): string {
  return c > 0 && t.role !== "temp" ? chipCopyId(t.id, c) : t.id;
}

/** Where the packing puts an op: chips `base .. base + width - 1`; a matmul over several chips takes K tiles
 * `kBounds[c] .. kBounds[c + 1] - 1` on chip `base + c`, or with `nBounds` (a column split) output column tiles
 * `nBounds[c] .. nBounds[c + 1] - 1`, every K tile. */
export interface Placement {
  readonly base: number;
  readonly width: number;
  readonly kBounds?: readonly number[];
  readonly nBounds?: readonly number[];
}

/** Whether a matmul may be split by output columns (tile.ts `lowerColumns`): a plain product, every K tile, its
 * weight a parameter stored whole (the emitter loads each chip's rows of it) or a constant. A weight stored as
 * several transposed matrices (moe's experts, TensorSource.batches) too: the emitter transposes them all, then
 * takes the chip's rows (program.ts `sourceImage`). */
export function columnSplittable(ctx: PackContext, op: KOp): op is Extract<KOp, { kind: "matmul" }> {
  if (op.kind !== "matmul" || op.bLayout || op.kTiles) return false;
  const b = ctx.tensors.get(op.b)!;
  return b.role === "param" && Math.ceil(b.rows / ctx.lanes) > 1;
}

/** The model outputs no op reads. A column split of the matmul making one leaves each chip's output tiles on
 * that chip as a part of the output (tile-columns.ts): nothing is sent back, so the split may span nodes. */
export function unreadOutputs(ops: readonly KOp[], outputs: readonly string[]): Set<string> {
  const read = new Set(ops.flatMap((op) => opInputs(op)));
  return new Set(outputs.filter((o) => !read.has(o)));
}

/** The items of a column split (`n` as Placement.nBounds) on each of its chips: all of `a`, the chip's rows of
 * `b` for every K tile, its output tiles (on chip 0 the whole output, on the others until they are sent; an
 * output left in place (`unreadOutputs`): each chip its own tiles, kept), the epilogue's rows. */
export function columnDemands(
  ctx: PackContext,
  i: number,
  n: readonly number[],
  /** Whether each chip keeps its tiles (an output left in place, or a tensor kept in parts: in-place.ts). */
  kept = ctx.leftInPlace.has(ctx.ops[i]!.out),
): Item[][] {
  const op = ctx.ops[i]! as Extract<KOp, { kind: "matmul" }>;
  const { lanes, tensors } = ctx;
  const a = tensors.get(op.a)!;
  const b = tensors.get(op.b)!;
  const out = tensors.get(op.out)!;
  const kTiles = Math.ceil(a.cols / lanes);
  const tile = (t: KTensor, rows: number, prefix: number, j: number, pinned: boolean, until: number): Item =>
    item(
      names[prefix]!,
      j,
      rows * lanes * DTYPE_BYTES[t.dtype],
      pinned,
      DTYPE_BYTES[t.dtype],
      until,
      ids[prefix],
    );
  // The chip's key prefixes, each numbered once: its rows of b, its output tiles.
  const names: string[] = [];
  const ids: number[] = [];
  const prefix = (name: string): number => {
    names.push(name);
    ids.push(keyPrefix(name));
    return names.length - 1;
  };
  const lastOut = ctx.lastUse.get(out.id) ?? i;
  const perChip: Item[][] = [];
  for (let c = 0; c + 1 < n.length; c++) {
    const [n0, n1] = [n[c]!, n[c + 1]!];
    const rows = Math.min(n1 * lanes, b.rows) - n0 * lanes;
    const items: Item[] = [];
    const bRows = prefix(`${b.id}.rows${n0 * lanes}+${rows}`);
    for (let k = 0; k < kTiles; k++) {
      items.push(inputItem(ctx, i, a, k, c));
      items.push(tile(b, rows, bRows, k, true, i));
    }
    const whole = c === 0 && !kept;
    const outTiles = whole ? Math.ceil(out.cols / lanes) : n1 - n0;
    const outPrefix = prefix(whole ? out.id : `${out.id}.c${c}`);
    for (let j = 0; j < outTiles; j++)
      items.push(tile(out, out.rows, outPrefix, j, false, c === 0 || kept ? lastOut : i));
    for (const e of op.epilogue ?? [])
      if (e.kind === "row") {
        const t = tensors.get(e.b)!;
        for (let j = 0; j < Math.ceil(t.cols / lanes); j++) items.push(inputItem(ctx, i, t, j, 0));
      }
    perChip.push(items);
  }
  return perChip;
}

/** Nodes a column split of a product whose output is read may run over from the node it starts in (the chips after
 * the first send their tiles back to it). */
const COLUMN_NODES = 2;

/** Nodes an output left in place may be split over (`columnNodes`). Measured
 * (one layer, `--chips 576`, the `single` helper): 2 -> 4 nodes took llama2-70b-fp8 31,695 -> 29,192 cycles, llama2-70b
 * 30,479 -> 28,343, llama3-8b 22,556 -> 21,681; 6 or 8 nodes placed the same as 4 (docs/compiler.md "The estimate's
 * hops as routed, and ties"). */
export const OUTPUT_NODES = 4;

/**
 * How many nodes, from the one it starts in, a column split of the product making `out` may run over, in the
 * packing and the spread alike: COLUMN_NODES, or OUTPUT_NODES for a model output no op reads, which stays where it
 * is computed (tile-columns.ts `outputParts`): nothing comes back, so more chips only add copies of its input, and
 * the spread's estimate weighs those.
 */
export function columnNodes(ctx: PackContext, out: string): number {
  return ctx.leftInPlace.has(out) ? OUTPUT_NODES : COLUMN_NODES;
}

/**
 * Ops in order fill the *frontier* chip; one that does not fit moves on. A matmul too large for what is left of
 * the frontier splits its K tiles over it and the chips after it, each taking as many tiles as fit (uneven
 * shares, so no chip is left half empty), over at most a node's worth of chips, or, when no K split fits, by
 * output columns (`columnSplit`); the frontier is then its last chip. Tried in order: all of the op on the
 * frontier, split from it (K, then columns), on the next chip, split from it. `cuts`: ops
 * that must start a fresh chip (pipeline balancing).
 */
export function packStages(ctx: PackContext, cuts: ReadonlySet<number> = new Set()): Packing {
  // The relay copies of tensors read across nodes (pack-relay.ts) are kept off the chips where they and the
  // packing's own bytes pass the budget: those chips' budgets shrink by the copies and the ops are packed again,
  // until none passes (reserves only grow; a few rounds at most).
  // A round whose reserves leave an op no place keeps the last packing that had one: allocation then reports
  // what overflows, rather than the packing naming an op too large for a node that fitted a round before.
  const reserve: number[] = [];
  let last: Packing | undefined;
  for (let round = 0; ; round++) {
    const p = packOnce(ctx, cuts, reserve);
    if (!p.ok) return last ?? p;
    if (round === RELAY_ROUNDS) return p;
    last = p;
    const peaks = relayPeaks(ctx, p.stages, p.chips);
    let over = false;
    peaks.forEach((bytes, c) => {
      // A chip with its reserve at least its copies cannot pass: its own bytes stayed within budget - reserve.
      if (p.chipBytes[c]! + bytes > ctx.budget && bytes > (reserve[c] ?? 0)) {
        reserve[c] = bytes;
        over = true;
      }
    });
    if (!over) return p;
  }
}

/** Packings packStages tries at most after the first, each with larger reserves for relay copies. */
const RELAY_ROUNDS = 6;

/** packStages with `reserve[c]` bytes of chip c's budget kept for relay copies. */
function packOnce(ctx: PackContext, cuts: ReadonlySet<number>, reserve: readonly number[]): Packing {
  const fills: ChipFill[] = [];
  const fill = (c: number) => {
    while (fills.length <= c) fills.push(new ChipFill());
    return fills[c]!;
  };
  const used = new Set<number>();
  const places: Placement[] = [];
  const fits = (items: readonly Item[], c: number, at: number) =>
    items.length === 0 || fill(c).fits(items, at, ctx.budget - (reserve[c] ?? 0));

  /** Op i split from chip s over as many chips as it needs (at most a node's worth, possibly running into the next
   * node: tile.ts then routes those partial sums over the gateway chips), each as full as it can get. */
  const split = (i: number, s: number): { place: Placement; items: Item[][] } | undefined => {
    const op = ctx.ops[i]!;
    if (op.kind !== "matmul") return undefined;
    const [kFirst, kEnd] = kTilesOf(ctx, op);
    if (kEnd - kFirst < 2 || op.bLayout?.kind === "diagonal") return undefined;
    const remotes = ctx.nodeChips - 1;
    const bounds = [kFirst];
    for (let c = s; c < s + ctx.nodeChips && bounds.at(-1)! < kEnd; c++) {
      const k0 = bounds.at(-1)!;
      // The most tiles chip c holds (its items grow with them): a binary search.
      let lo = 0;
      let hi = kEnd - k0;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(chipItems(i, bounds, k0 + mid, remotes), c, i)) lo = mid;
        else hi = mid - 1;
      }
      if (lo === 0) return undefined;
      bounds.push(k0 + lo);
    }
    if (bounds.at(-1)! < kEnd || bounds.length < 3) return undefined;
    return { place: { base: s, width: bounds.length - 1, kBounds: bounds }, items: demands(ctx, i, bounds) };
  };
  /** Op i split by output columns from chip s, each chip taking as many column tiles as fit, over at most
   * COLUMN_NODES nodes' chips (tile-columns.ts routes a chip's tiles to the first over the gateways): when no K
   * split fits. A K split's first chip holds every other chip's fp32 partial sum of the whole output, so a wide
   * output over many rows (a prefill's lm head: 32 x 128,256) leaves it no room for a weight tile, while a column
   * split's chips each hold only their own columns' weight rows and output. */
  const columnSplit = (i: number, s: number): { place: Placement; items: Item[][] } | undefined => {
    const op = ctx.ops[i]!;
    if (!columnSplittable(ctx, op)) return undefined;
    const nEnd = Math.ceil(ctx.tensors.get(op.b)!.rows / ctx.lanes);
    const bounds = [0];
    // A model output no op reads stays in parts where it is computed, so its split may span OUTPUT_NODES nodes, as
    // in the spread: on two, a product that fits only over more (mem_words 480, nodes of 2) had no chip count at all.
    const nodes = columnNodes(ctx, op.out);
    for (let c = s; c < s + nodes * ctx.nodeChips && bounds.at(-1)! < nEnd; c++) {
      const n0 = bounds.at(-1)!;
      let lo = 0;
      let hi = nEnd - n0;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        const mine = columnDemands(ctx, i, [...bounds, n0 + mid]).at(-1)!;
        if (fits(mine, c, i)) lo = mid;
        else hi = mid - 1;
      }
      if (lo === 0) return undefined;
      bounds.push(n0 + lo);
    }
    if (bounds.at(-1)! < nEnd || bounds.length < 3) return undefined;
    return {
      place: { base: s, width: bounds.length - 1, nBounds: bounds },
      items: columnDemands(ctx, i, bounds),
    };
  };
  /** The items of the chip that takes K tiles from bounds' last entry to k1, the chips before it as in bounds. */
  const chipItems = (i: number, bounds: readonly number[], k1: number, remotes: number): Item[] =>
    demands(ctx, i, [...bounds, k1], remotes, bounds.length - 1)[0]!;

  let f = 0;
  for (let i = 0; i < ctx.ops.length; i++) {
    if (i > 0 && cuts.has(i) && used.has(f)) f++;
    const starts = used.has(f) ? [f, f + 1] : [f];
    let got: { place: Placement; items: Item[][] } | undefined;
    const whole = demands(ctx, i);
    for (const s of starts) {
      if (fits(whole[0]!, s, i)) got = { place: { base: s, width: 1 }, items: whole };
      else got = split(i, s) ?? columnSplit(i, s);
      if (got) break;
    }
    if (!got) {
      return { ok: false, why: tooLarge(ctx, i, whole[0]!), chips: 0, stages: places, chipBytes: [] };
    }
    got.items.forEach((items, c) => {
      fill(got.place.base + c).add(items, i);
      used.add(got.place.base + c);
    });
    places.push(got.place);
    f = got.place.base + got.place.width - 1;
  }
  // Probing a split makes fills past the chips it finally took: count only the chips used.
  const chips = Math.max(1, ...[...used].map((c) => c + 1));
  const chipBytes = Array.from({ length: chips }, (_, c) => (fills[c] ? fills[c].total() : 0));
  return { ok: true, why: "", chips, stages: places, chipBytes };
}

/** Why op i fits no placement: an op the packing does not split (anything but a matrix product) whose operands
 * alone pass a chip's budget (mixtral's moe at 256 tokens: an fp32 [256, 114,688] pointwise op, 117 MB in and
 * out), or a product that no K or column split over its chips holds (with its bytes, the span and the shortfall). */
function tooLarge(ctx: PackContext, i: number, whole: readonly Item[]): string {
  const op = ctx.ops[i]!;
  const bytes = whole.reduce((s, it) => s + it.bytes, 0);
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  if (op.kind !== "matmul" && bytes > ctx.budget)
    return `op '${op.id}' (${op.kind}) reads and writes ${mb(bytes)} on one chip, more than a chip's ${mb(ctx.budget)} usable, and the partitioner splits only matrix products over chips (a smaller batch or seq fits)`;
  // A product: no K split over a node's chips, nor column split over the chips columnSplit may span, fits from a
  // fresh chip. Those spans do not grow with the chips given, so no chip count fits: say by how much, and what does.
  const nodes = op.kind === "matmul" ? columnNodes(ctx, op.out) : COLUMN_NODES;
  const span = Math.max(ctx.nodeChips, nodes * ctx.nodeChips);
  const missing = bytes - span * ctx.budget;
  const short =
    missing > 0 ? `, at least ${mb(missing)} (${Math.ceil(missing)} bytes) more than those chips hold` : "";
  return `op '${op.id}' needs more than one node's SRAM: ${mb(bytes)} on one chip, and no split over the chips it may span (its K over a node's ${ctx.nodeChips}, its output columns over ${nodes} nodes' ${nodes * ctx.nodeChips}) keeps each within a chip's ${mb(ctx.budget)} usable${short}; no chip count fits (the spans do not grow with the chips given): more SRAM a chip (mem_words) or more chips a node may fit it`;
}
