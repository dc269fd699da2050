// Heavy products (spread.ts): kernel ops -> which products are heavy (their weight tiles' load time on one node well
// above their input's and output's link time), each one's heavy sibling, and a heavy product's K splits over whole
// nodes. Heavy products may take any node from the current one, and their splits run over more than a node.
import { DTYPE_BYTES } from "../graph/ir.ts";
import type { Item } from "./chip-fill.ts";
import { type KOp, type KTensor, opInputs } from "./kernel-ir.ts";
import { columnSplittable, demands, kTilesOf, type PackContext } from "./pack.ts";
import { expertProduct } from "./spread-experts.ts";
import type { SpreadTiming } from "./spread-timeline.ts";

export interface Split {
  readonly width: number;
  readonly bounds: readonly number[];
  readonly items: Item[][];
}

/** For each heavy product (`heavy`), the next heavy product that reads the same input and not its output. */
export function heavySiblings(ctx: PackContext, t: SpreadTiming): Map<number, number> {
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

/**
 * A matmul's K splits over 2 .. `nodes` whole nodes, even shares, where each chip's partial sums (fp32, every output
 * tile) take no longer on its link than its share of the weight tiles on its planes, so that they stream out while
 * the planes work. Why only those: the time line prices a stream by its words, and the schedules disagree when the
 * link is the longer: llama2-70b-fp8's gate and up over two nodes (1 or 2 K tiles a chip, 360 words of sums, 6,900
 * link cycles against 2,400 on the planes) took 21,700 cycles where one node took 10,600 (docs/compiler.md); its
 * down projection (5 or 6 K tiles a chip, 104 words: 2,000 against 3,500) gained.
 */
export function wideSplits(ctx: PackContext, t: SpreadTiming, i: number, nodes: number): Split[] {
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
 * against 246,130 before). Running on from the current node into the next is open to every column split since
 * their chips use idle planes (tile-column-planes.ts): the estimate chooses it for q and o.
 */
export function heavy(ctx: PackContext, t: SpreadTiming, op: KOp): boolean {
  if (!columnSplittable(ctx, op)) return false;
  // One of a moe's experts: heavy as one of several independent products (spread-experts.ts).
  if (expertProduct(ctx, op)) return true;
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
