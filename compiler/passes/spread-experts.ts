// A moe's experts in the spread (spread.ts): which products are one expert's (lower-routing.ts `lowerMoe`: rows of a
// stacked weight), the column splits their in-place groups may take (half a node each, so gate and up side by side
// fill one node: in-place.ts), the nodes they take in expert order, a node's share before the next (a placement on
// one chip or by K is not held to it: mixtral's experts all take column splits), and the small ops read only by a
// group placed ahead (an expert's routing weight broadcast over its output lanes) put on that group's chip.
import { DTYPE_BYTES } from "../graph/ir.ts";
import { type KOp, opInputs } from "./kernel-ir.ts";
import type { PackContext, Placement } from "./pack.ts";

/** Whether `op` is a product by one expert's weight: rows of a weight that stacks several (`TensorSource.batches`,
 * lower-routing.ts). The experts are independent products of one input of equal size, so the spread treats them as
 * heavy (spread-heavy.ts `heavy`: each may take a later node) though one alone loads faster than its input and
 * output cross a link: mixtral's experts, placed as light products on the current node only, ran on nodes 0..2
 * (24 chips, about 117 MB of weights a chip, their loads ending near 22,000 cycles) while later nodes waited. */
export function expertProduct(ctx: PackContext, op: KOp): boolean {
  return op.kind === "matmul" && (ctx.tensors.get(op.b)!.source?.batches ?? 1) > 1;
}

/**
 * The column splits an expert product may take: half a node, starting at a node's first chip or its middle, so that
 * an expert's gate and up (heavy siblings) side by side make one in-place group over one whole node (in-place.ts),
 * and only on the node its share of experts is filling: the node some expert began, until it holds `perNode`
 * experts or no more fit there, then a node no expert began, and with none left any begun node where it fits.
 * Left to the estimate, the experts took wider, overlapping spans (every expert heavy, any column split: mixtral's
 * layer 24,600 cycles on 56 chips, some chips holding 5 experts' shares; half-node spans that may overlap, 22,691 on
 * 48 chips with 5 nodes holding two experts each; a whole node for gate and one for up, 25,123): the estimate
 * prices one product's planes, not the experts after it that share them.
 *
 * In order, so that the chain of the experts' sums (lower-routing.ts: expert e adds the sum of those before it)
 * crosses between nodes once a node, not once an expert. One expert a node (the fifteenth session's rule: a node
 * no other expert uses) left the whole mixtral's unit of one layer on two nodes with the first two experts on a
 * node each and the other six placed where the estimate chose, alternating: the chain of sums crossed between the
 * two nodes six times (about 430 cycles a crossing) and the unit's span took 12 deskew periods (887,494 cycles);
 * three experts on the first node (with the attention: the fourth did not fit) and five on the second, 11 periods
 * (813,868, -8.3%). With more nodes than experts, one a node as before: two a node at least made mixtral's decode
 * layer 20,991 cycles on 64 chips -> 20,881 on 32 (3 hops out to the last expert and 3 back instead of 7, each
 * node's planes loading two experts' weights), but its prefill of 64 tokens 722,418 -> 816,119 (40 chips); four and
 * six a node, the layer 29,240 and 26,678.
 */
export class ExpertNodes {
  /** The experts with a product on each node. */
  private readonly on = new Map<number, Set<string>>();
  /** The experts' weight tiles on each chip. */
  private readonly tiles = new Map<number, number>();
  /** Experts a node takes before the next is begun. */
  private readonly perNode: number;
  /** An expert's column split: half a node. */
  readonly half: number;
  /**
   * `nodes`: the nodes of the placement; `experts`: every expert product's `expertOf`. A node takes an even share
   * of a moe's experts (at least one).
   */
  constructor(
    private readonly nodeChips: number,
    private readonly nodes: number,
    experts: readonly string[],
  ) {
    const perMoe = new Map<string, Set<string>>();
    for (const e of experts) {
      const moe = e.slice(0, e.lastIndexOf("#"));
      (perMoe.get(moe) ?? perMoe.set(moe, new Set()).get(moe)!).add(e);
    }
    const most = Math.max(0, ...[...perMoe.values()].map((x) => x.size));
    this.perNode = Math.max(1, Math.ceil(most / Math.max(1, nodes)));
    this.half = Math.max(1, Math.floor(nodeChips / 2));
  }

  /**
   * The nodes a column split of expert `e`'s product may take now (decided once per product: the placements
   * weighed for it do not change what is taken); `from`: the spread's current node (it weighs no column split on an
   * earlier node); `fitsOn(n)`: whether a half-node column split of it fits on node n.
   * A node `e` took already, from `from` on, where the product fits, is the only one open (ahead of nodes other
   * experts began and of nodes none began); with none, the class's rule (a begun node under its share, else a node
   * none began, else any begun node where it fits). In the whole mixtral's unit (two nodes) experts 3 and 7 each
   * had their gate on a half of the first node and their up, open to the second node too, there by the estimate,
   * so each up's 45 column tiles crossed the gateway to meet its gate; now expert 3's gate
   * and up are side by side on the first node and expert 7 is one in-place group over the second (unit span
   * 22,420 -> 21,932 cycles with the sums chained from the first expert, docs/compiler.md).
   */
  nodesFor(e: string, from: number, fitsOn: (n: number) => boolean): (n: number) => boolean {
    const mine = (n: number) => this.on.get(n)?.has(e) === true;
    // A node the expert took already, while its product fits there: its products stay together. Not one before the
    // current node, which the spread no longer weighs: that would leave the product no column split at all.
    const own = [...this.on.entries()]
      .filter(([m, x]) => x.has(e) && m >= from && m < this.nodes && fitsOn(m))
      .map(([m]) => m);
    if (own.length > 0) return (n) => own.includes(n);
    const begun = [...this.on.entries()]
      .filter(([m, x]) => x.size > 0 && m < this.nodes && fitsOn(m))
      .map(([m]) => m);
    // A node some experts began is filled to its share (while one fits there) before another is begun.
    const open = begun.filter((m) => this.on.get(m)!.size < this.perNode);
    if (open.length > 0) return (n) => mine(n) || open.includes(n);
    let fresh = false;
    for (let m = 0; m < this.nodes && !fresh; m++) fresh = !this.on.has(m) && fitsOn(m);
    if (fresh) return (n) => mine(n) || !this.on.has(n);
    // No node left to begin: any begun node where it fits.
    return (n) => mine(n) || begun.includes(n);
  }

  /** Whether a column split over chips s .. s + width - 1 is half a node, within one node that `node` allows. */
  within(s: number, width: number, node: (n: number) => boolean): boolean {
    if (width !== this.half || s % this.half !== 0) return false;
    const n = Math.floor(s / this.nodeChips);
    return Math.floor((s + width - 1) / this.nodeChips) === n && node(n);
  }

  /** `within` the nodes `nodesFor(e, from, fitsOn)` allows. */
  allows(e: string, from: number, s: number, width: number, fitsOn: (n: number) => boolean): boolean {
    return this.within(s, width, this.nodesFor(e, from, fitsOn));
  }

  /** Expert `e`'s product placed at `p`: it is on p's nodes from now on; `tiles`: its weight tiles on each chip of
   * p (`weightTiles`). */
  take(e: string, p: Placement, tiles: readonly number[]): void {
    for (let c = p.base; c < p.base + p.width; c++) {
      const n = Math.floor(c / this.nodeChips);
      const x = this.on.get(n) ?? this.on.set(n, new Set()).get(n)!;
      x.add(e);
      this.tiles.set(c, (this.tiles.get(c) ?? 0) + tiles[c - p.base]!);
    }
  }

  /**
   * Of chips base .. base + width - 1, the `tiles % width` (from base) that take a share one tile larger of an
   * expert group's `tiles` column tiles (in-place.ts `groupPlacements`): those with the fewest experts' weight tiles so
   * far, the last on a tie (the first is the head of the group's down, K split: it receives the partial sums and
   * runs the epilogue). Undefined where every chip holds as many (kRange's shares then: a group on a node of its
   * own, as in mixtral's layer and prefill, is placed as before). kRange gave the same chips the larger shares of
   * every expert (45 column tiles over 8 chips: the sixth to chips 1, 3, 4, 6 and 7 of a node each time), and a node
   * of experts is bound by its chips' weight loads: in the whole mixtral's unit node B's chips loaded 845..1,014
   * tiles, now 923..975 (unit span 21,932 -> 21,637, docs/compiler.md).
   */
  larger(base: number, width: number, tiles: number): Set<number> | undefined {
    const held = Array.from({ length: width }, (_, c) => this.tiles.get(base + c) ?? 0);
    if (held.every((x) => x === held[0])) return undefined;
    const order = held.map((_, c) => c).sort((a, b) => held[a]! - held[b]! || b - a);
    return new Set(order.slice(0, tiles % width));
  }
}

/** The weight tiles a product placed at `p` loads on each of its chips: its column tiles there times its K tiles
 * (a column split), its K tiles there times its column tiles (a K split), or all of them (one chip). Counts all of
 * `a`'s K tiles: a product over a window of them (`kTiles`) is over-counted; experts' products have none. */
export function weightTiles(ctx: PackContext, op: KOp, p: Placement): number[] {
  const t = (x: string) => Math.ceil(ctx.tensors.get(x)!.cols / ctx.lanes);
  const [k, n] = op.kind === "matmul" ? [t(op.a), t(op.out)] : [0, 0];
  const share = (b: readonly number[], other: number) =>
    Array.from({ length: p.width }, (_, c) => (b[c + 1]! - b[c]!) * other);
  if (p.nBounds) return share(p.nBounds, k);
  if (p.kBounds) return share(p.kBounds, n);
  return Array.from({ length: p.width }, () => k * n);
}

/** Which expert `op` (an `expertProduct`) computes, of which moe: its weight's rows are expert e's of a stacked weight,
 * and a moe's stacked weights (gate, up, down) are parameters of one block instance (the scope of their node). */
export function expertOf(ctx: PackContext, op: KOp): string {
  const src = ctx.tensors.get((op as { b: string }).b)!.source;
  const e = src?.rows ? Math.floor(src.rows.first / Math.max(1, src.rows.count)) : 0;
  const node = src?.node ?? "";
  return `${node.slice(0, Math.max(0, node.lastIndexOf(".")))}#${e}`;
}

/**
 * The chip op `i` goes to beside its readers when every reader is already placed with its group (`forced`, in-place.ts)
 * on one chip (the first of its placement: a K split's partial sums and epilogue are there) and its output is wider
 * than its inputs that ops make, so that only the inputs cross links; undefined otherwise. Placed for its own finish
 * instead, an expert's routing weight over 4,096 lanes (52 words of fp32, from a 2-word routing row) was made on
 * chip 0 beside the router and sent to each expert's node, seven of them on one wire (mixtral 24,553 -> 21,063).
 */
export function besideReaders(
  ctx: PackContext,
  i: number,
  readers: ReadonlyMap<string, readonly number[]>,
  forced: ReadonlyMap<number, { readonly p: Placement }>,
  made: (x: string) => boolean,
): number | undefined {
  const op = ctx.ops[i]!;
  const rs = readers.get(op.out) ?? [];
  if (rs.length === 0 || !rs.every((r) => forced.has(r))) return undefined;
  const chips = new Set(rs.map((r) => forced.get(r)!.p.base));
  if (chips.size !== 1) return undefined;
  const words = (x: string) => {
    const t = ctx.tensors.get(x)!;
    return t.rows * Math.ceil(t.cols / ctx.lanes) * DTYPE_BYTES[t.dtype];
  };
  const inputs = [...new Set(opInputs(op))].filter(made);
  if (inputs.reduce((n, x) => n + words(x), 0) >= words(op.out)) return undefined;
  return [...chips][0];
}

/** Each tensor's reading ops, by index. */
export function readersOf(ops: readonly KOp[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  ops.forEach((op, i) => {
    for (const x of new Set(opInputs(op))) {
      const rs = out.get(x);
      if (rs) rs.push(i);
      else out.set(x, [i]);
    }
  });
  return out;
}
