// auto's choice of the `layers` partition: a kernel graph, its pack context and the chips given -> the layer-regular
// placement (layers.ts) when the model's `repeat` is deep enough, and its units long enough, that stamping it
// (compile.ts, stamp.ts) is the better plan; else undefined (auto weighs pack and spread as before). The rule is
// `stampsDeepRepeat` below.
import type { KernelGraph } from "./kernel-ir.ts";
import { findRepeat, type LayerPlacement, layerStages } from "./layers.ts";
import { type PackContext, packContext } from "./pack.ts";
import { reduceRepeat } from "./reduce-repeat.ts";
import { estimatePlacement, type SpreadTiming } from "./spread.ts";

/**
 * Units of a repeat (count / q instances per unit) from which auto stamps it: the stamped compile schedules two
 * units (unit 0 and the last), the whole compile all of them, so from 16 units on the whole compile would schedule
 * at least 8 times as much. A whole compile of 8 layers of llama2-70b-fp8 is still tractable (about 100 CPU s); 16
 * took 174 s and 4.3 GB and 80 never finished (docs/compiler.md). ASSUMPTION: the boundary is a judgement between
 * those measurements, not a measured optimum.
 */
export const STAMP_MIN_UNITS = 16;

/**
 * Deskew periods a unit's estimated time must last for auto to stamp it. A stamped unit's step is rounded up to a
 * whole period (2,304 cycles on tsp-v1) and waits for the latest of its inputs, where a whole compile overlaps a
 * unit with the next: a unit of 8 periods loses at most an eighth of its time to the rounding. A chain of sixteen
 * 640-wide layers (a few hundred cycles each) ran 34,916 cycles stamped and 3,941 whole
 * (test/compiler/passes/deep-repeat.test.ts); llama2-70b-fp8's units lost 1-3% (docs/performance.md).
 */
export const STAMP_MIN_PERIODS = 8;

/**
 * The rule: auto partitions by `layers` when
 *  - the model does not fit one chip (`needsChips` > 1: one that fits keeps the packing, and every small program
 *    its output),
 *  - it has a `repeat` (layers.ts `findRepeat`) whose layer-regular placement fits the chips given in units of q
 *    instances, with count / q >= STAMP_MIN_UNITS (the whole compile would schedule 8 times the stamped one),
 *  - one unit, as placed, is estimated (spread.ts's time line) to last at least STAMP_MIN_PERIODS deskew periods,
 *  - and the reduction applies (reduce-repeat.ts: units 1 .. U - 2 are unit 0 renamed), so that compile.ts
 *    schedules two units and stamps the rest.
 * An explicit `--partition` never reaches this rule.
 */
export function stampsDeepRepeat(
  kernel: KernelGraph,
  ctx: PackContext,
  t: SpreadTiming,
  chips: number,
  needsChips: number,
  deskewPeriod: number,
): LayerPlacement | undefined {
  if (needsChips <= 1) return undefined;
  const r = findRepeat(ctx.ops);
  if (!r || r.count < STAMP_MIN_UNITS) return undefined;
  const placement = layerStages(ctx, t, chips, r).placement;
  if (!placement || r.count / placement.unit < STAMP_MIN_UNITS) return undefined;
  if (unitCycles(ctx, t, placement, r.starts) < STAMP_MIN_PERIODS * deskewPeriod) return undefined;
  return reduceRepeat(kernel, placement.unit) ? placement : undefined;
}

/** The estimated cycles of unit 0 alone on its group, fed at cycle 0 (what each stamped copy repeats). */
function unitCycles(ctx: PackContext, t: SpreadTiming, p: LayerPlacement, starts: readonly number[]): number {
  const [from, to] = [starts[0]!, starts[p.unit]!];
  // Its own pack context: what later ops read stays live, as layers.ts placed it.
  const outputs = [...ctx.lastUse].filter(([, at]) => at >= to).map(([x]) => x);
  const { lanes, planes, budget, nodeChips, chunkRows } = ctx;
  const unit = packContext(ctx.ops.slice(from, to), ctx.tensors, outputs, {
    lanes,
    planes,
    budget,
    nodeChips,
    chunkRows,
  });
  const places = p.stages.slice(from, to).map((s) => ({ ...s, base: s.base - p.groupBase }));
  return estimatePlacement(unit, t, places);
}
