// Stage cuts between a repeat's instances (pack.ts's packing, auto and pack strategies): a packing -> the same ops
// packed again with each cut that fell inside an instance moved to the instance's first op, where the instance then
// fits on one chip. Guarantees every instance it keeps on one chip is whole there.
import { DTYPE_BYTES } from "../graph/ir.ts";
import { REPEAT_INSTANCE } from "./kernel-ir.ts";
import { demands, type PackContext, type Packing, packStages } from "./pack.ts";

/** The packing with every chip change that falls inside an instance of a `repeat` moved back to that instance's
 * first op, one at a time, where the instance then fits on one chip (each move can take one more chip). Why: a cut inside a
 * layer sends every tensor the layer's later ops read across the link, where a cut between layers sends the one
 * activation: bert-base's prefill cut after layer 8's query and key projections sent x, q and k (768 words each,
 * about 15k cycles apiece on one link) instead of x alone. */
export function alignToInstances(ctx: PackContext, packed: Packing): Packing {
  const instance = ctx.ops.map((op) => REPEAT_INSTANCE.exec(op.id)?.[0] ?? "");
  const first = new Map<string, number>();
  instance.forEach((k, i) => {
    if (k && !first.has(k)) first.set(k, i);
  });
  const cuts = new Set<number>();
  const tried = new Set<number>();
  let p = packed;
  for (;;) {
    let cut = -1;
    for (let i = 1; i < ctx.ops.length && cut < 0; i++) {
      const k = instance[i]!;
      const s = first.get(k) ?? 0;
      if (k && s < i && p.stages[i]!.base !== p.stages[i - 1]!.base && !tried.has(s)) cut = s;
    }
    if (cut < 0) return p;
    tried.add(cut);
    // An instance whose sources alone overfill a chip is cut inside anyway: skip it without packing again. (On the
    // 80-layer llama2-70b-fp8, packing once per instance took 220 s of wall time on a loaded machine; about 1 s so.)
    if (sourceBytes(ctx, instance, cut, ctx.budget) > ctx.budget) continue;
    const q = packStages(ctx, new Set([...cuts, cut]));
    // Kept only when the instance then sits whole on one chip: an instance larger than a chip is cut inside
    // anyway, and starting it on a fresh chip would only leave the chip before it part empty.
    const k = instance[cut]!;
    const whole =
      q.ok &&
      instance.every(
        (x, i) => x !== k || (q.stages[i]!.width === 1 && q.stages[i]!.base === q.stages[cut]!.base),
      );
    if (!whole) continue;
    cuts.add(cut);
    p = q;
  }
}

/** Bytes of the sources (weights, constants, inputs, state) the ops of the instance starting at op `s` keep on a
 * chip, each counted once; or, once they pass `most`, some sum above it (the rest is not counted). The ops with the
 * largest matmul operand `b` come first, so that a layer of large weights passes `most` after a few of its ops
 * (llama2-70b-fp8: its MLP's first weight alone), not after every attention head's. */
function sourceBytes(ctx: PackContext, instance: readonly string[], s: number, most: number): number {
  const ops: number[] = [];
  for (let i = s; i < ctx.ops.length; i++) if (instance[i] === instance[s]) ops.push(i);
  const weight = ops.map((i) => {
    const op = ctx.ops[i]!;
    const b = op.kind === "matmul" ? ctx.tensors.get(op.b)! : undefined;
    return b ? b.rows * Math.ceil(b.cols / ctx.lanes) * DTYPE_BYTES[b.dtype] : 0;
  });
  const order = ops.map((_, j) => j).sort((x, y) => weight[y]! - weight[x]! || x - y);
  const seen = new Set<string>();
  let bytes = 0;
  for (const j of order) {
    if (bytes > most) break;
    for (const it of demands(ctx, ops[j]!)[0]!)
      if (it.pinned && !seen.has(it.key)) {
        seen.add(it.key);
        bytes += it.bytes;
      }
  }
  return bytes;
}
