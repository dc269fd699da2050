// A moe's experts in the spread (spread.ts): which products are one expert's (lower-routing.ts `lowerMoe`: rows of a
// stacked weight), the column splits their in-place groups may take (half a node each, so gate and up side by side
// fill one node: in-place.ts), each such split on a node no other expert uses (a placement on one chip or by K is
// not held to it, though its nodes are then taken: mixtral's experts all take column splits), and the small ops read
// only by a group placed ahead (an expert's routing weight broadcast over its output lanes) put on that group's
// chip.
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
 * and (`ExpertNodes`) only on a node no other expert uses. Left to the estimate, the experts took wider, overlapping
 * spans (every expert heavy, any column split: mixtral's layer 24,600 cycles on 56 chips, some chips holding 5
 * experts' shares; half-node spans that may overlap, 22,691 on 48 chips with 5 nodes holding two experts each; a
 * whole node for gate and one for up, 25,123): the estimate prices one product's planes, not the experts after it
 * that share them.
 */
export class ExpertNodes {
  private readonly taken = new Set<number>();
  constructor(private readonly nodeChips: number) {}

  /** Whether an expert's column split over chips s .. s + width - 1 is allowed. */
  allows(s: number, width: number): boolean {
    const half = Math.max(1, Math.floor(this.nodeChips / 2));
    if (width !== half || s % half !== 0) return false;
    for (let c = s; c < s + width; c++) if (this.taken.has(Math.floor(c / this.nodeChips))) return false;
    return true;
  }

  /** An expert product placed at `p`: its nodes are taken from now on. */
  take(p: Placement): void {
    for (let c = p.base; c < p.base + p.width; c++) this.taken.add(Math.floor(c / this.nodeChips));
  }
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
