// auto's choice of the `layers` partition: a kernel graph, its pack context and the chips given -> the layer-regular
// placement (layers.ts) when the model's `repeat` is deep enough, and its stamped plan estimated close enough to the
// whole one, that stamping it (compile.ts, stamp.ts) is the better plan; else undefined (auto keeps the pack or
// spread it chose). The rule is `deepRepeatPlan` below.
import type { KernelGraph } from "./kernel-ir.ts";
import { findRepeat, type LayerPlacement, layerStages } from "./layers.ts";
import type { PackContext } from "./pack.ts";
import { reduceRepeat } from "./reduce-repeat.ts";
import { estimatePlacement, type SpreadTiming } from "./spread.ts";

/**
 * Units of a repeat (count / q instances per unit) from which auto stamps it: the stamped compile schedules one
 * unit (two when the ops after the repeat cannot stand in for a unit, compile.ts), the whole compile all of them,
 * so from 16 units on the whole compile would schedule at least 8 times as much. A whole compile of 8 layers of
 * llama2-70b-fp8 is still tractable (about 100 CPU s); 16 took 174 s and 4.3 GB and 80 never finished
 * (docs/compiler.md). ASSUMPTION: the boundary is a judgement between
 * those measurements, not a measured optimum.
 */
export const STAMP_MIN_UNITS = 16;

/**
 * How much slower than the whole plan the stamped one may be estimated: stamping buys a compile that schedules two
 * units at most instead of U >= 16 (the whole compile of llama2-70b-fp8's 80 layers on 576 chips runs out of the
 * default 4 GB heap; stamped it compiles in about 30 CPU s). The cases that must stay whole are estimated, and
 * measured, several times slower stamped (short layers whose whole compile overlaps a unit with the next: 8.9x measured; a
 * prefill-sized chain crossing the gateway links: 4.3x), where llama2-70b-fp8's 80 layers on 576 chips are
 * estimated 1.13x (3.84 M cycles stamped against 3.40 M whole). ASSUMPTION: 1.5, a judgement between those, not a
 * measured optimum; 1.1 sent that 70b back to the intractable whole compile once the spread's estimate improved.
 */
export const STAMP_SLACK = 1.5;

/**
 * The rule: auto partitions by `layers` when the model has a `repeat` (layers.ts `findRepeat`)
 *  - whose layer-regular placement fits the chips given in units of q instances with count / q >= STAMP_MIN_UNITS
 *    (the whole compile would schedule 8 times what the stamped one does),
 *  - whose reduction applies (reduce-repeat.ts: units 1 .. U - 2 are unit 0 renamed), so that compile.ts schedules
 *    one or two units and stamps the rest,
 *  - and whose stamped plan is estimated no slower than STAMP_SLACK times the estimate of the plan auto would
 *    compile whole (spread or pack). The stamped estimate is spread.ts's time line of the layer
 *    placement (each group's input crossing the gateway links, which prefill-sized activations make long) plus a
 *    deskew period per middle unit: stamp.ts rounds each unit's step up to a whole period and starts it after the
 *    latest of its inputs, where a whole compile overlaps a unit with the next (a chain of sixteen 640-wide
 *    matvecs, a few hundred cycles each, ran 34,916 cycles stamped and 3,941 whole).
 * partition.ts asks only for a model that does not fit one chip (one that fits keeps the packing, and every small
 * program its output); an explicit `--partition` never reaches this rule.
 *
 * This gives the rule's stamped plan and its estimate; partition.ts weighs it (`stamped` <= STAMP_SLACK times
 * the whole plan's estimate) after placing it first, so that the whole model's spread, the longest part of auto's
 * choice, can stop once it is known to end too late to keep the stamped plan out.
 */
export function deepRepeatPlan(
  kernel: KernelGraph,
  ctx: PackContext,
  t: SpreadTiming,
  chips: number,
  deskewPeriod: number,
): { placement: LayerPlacement; stamped: number } | undefined {
  const r = findRepeat(ctx.ops);
  if (!r || r.count < STAMP_MIN_UNITS) return undefined;
  // Units of more than count / STAMP_MIN_UNITS instances are too few to stamp: not placed (llama2-7b on its 75
  // chips placed units of 4, 8, 16 and 32 of its layers, each spread at every fill, to find none fits).
  const placement = layerStages(ctx, t, chips, r, undefined, Math.floor(r.count / STAMP_MIN_UNITS)).placement;
  const units = placement ? r.count / placement.unit : 0;
  if (!placement || units < STAMP_MIN_UNITS) return undefined;
  const stamped = estimatePlacement(ctx, t, placement.stages) + (units - 2) * deskewPeriod;
  return reduceRepeat(kernel, placement.unit) ? { placement, stamped } : undefined;
}
