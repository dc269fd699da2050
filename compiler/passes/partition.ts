// Pass `partition`: kernel IR + chip count + strategy -> where every op runs: a pipeline *stage* (a range of chips
// inside one node) per op, and over how many of its stage's chips each matmul's K tiles are split. Checks the
// SRAM first: LPU5001 names the smallest chip count that fits, also returned as data (`minChips`).
// Strategies (`--partition`): `pack` splits a matmul's K only when the estimated cycles with the link transfer
// beat one chip, and cuts the model into stages of consecutive ops on the fewest chips when it does not fit one
// chip; `spread` places each op where spread.ts estimates it finishes first, over the chips given (on one chip, or
// a matmul split by K or by output columns, `nSplits`, over chips of a node); `auto` is
// `pack` for a model that fits one chip, else whichever of the two the estimate says is faster, or `layers` for a
// deep repeat (deep-repeat.ts); `none` keeps
// every op on one chip; `k-split` splits every matmul with several K tiles over up to a node; `pipeline` spreads
// the ops over all the chips given, balanced by weight bytes; `layers` gives each instance of a `repeat` its own
// whole nodes with one placement translated (layers.ts), which lets compile.ts schedule one instance and stamp it.
// Stages are placed on chips by `stages.ts` after tile.
import type { Machine } from "../../arch/machine.ts";
import { sramBytesPerChip } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";
import { diag } from "../../util/diagnostics.ts";
import { DTYPE_BYTES } from "../graph/ir.ts";
import { deskewPeriodOf } from "../schedule/deskew.ts";
import { linkWordTime, mxmCyclesPerVector } from "../schedule/timing.ts";
import { convertWidthOf } from "./allocate-round.ts";
import { bestSplit } from "./best-split.ts";
import { deepRepeatPlan, STAMP_SLACK } from "./deep-repeat.ts";
import { type KernelGraph, type KOp, type KTensor, opInputs } from "./kernel-ir.ts";
import { type LayerPlacement, layerPartition } from "./layers.ts";
import { M } from "./messages.ts";
import { OUTPUT_NODES, type PackContext, type Packing, packContext, packStages, type Stage } from "./pack.ts";
import { alignToInstances } from "./pack-align.ts";
import { planeTiming } from "./plane-split.ts";
import { estimatePlacement, FILL_FRACTIONS, FULL_FILL, type SpreadTiming, spreadStages } from "./spread.ts";
import { streamTrip } from "./spread-timeline.ts";
import { globalLinks } from "./stages.ts";

export const STRATEGIES = ["auto", "pack", "spread", "none", "k-split", "pipeline", "layers"] as const;
export type PartitionStrategy = (typeof STRATEGIES)[number];

export type { Stage } from "./pack.ts";
export { printPartition } from "./partition-print.ts";

export interface PartitionedGraph {
  readonly kernel: KernelGraph;
  /** Chips the program runs on. */
  readonly chips: number;
  /** Chips each matmul's K tiles are split over (absent: 1), the first `n` chips of its stage. */
  readonly matmulChips: ReadonlyMap<string, number>;
  /** For a split matmul with uneven shares: chip c of its stage takes K tiles `b[c] .. b[c + 1] - 1` (absent: an
   * even split of its K tiles). */
  readonly kSplits?: ReadonlyMap<string, readonly number[]>;
  /** A matmul split by output columns: chip c of its stage computes output column tiles `n[c] .. n[c + 1] - 1`
   * with every K tile and sends them to the stage's first chip (tile.ts `lowerColumns`), or keeps them (a model
   * output no op reads, a tensor kept in parts: in-place.ts); an elementwise op split so computes those tiles of
   * its output from its inputs' parts there. */
  readonly nSplits?: ReadonlyMap<string, readonly number[]>;
  /** Chip of each tensor (and of the ops that define it), sorted by tensor id: its stage's first chip. */
  readonly chipOf: ReadonlyMap<string, number>;
  /** The stage of every op, by op id. */
  readonly stageOf: ReadonlyMap<string, Stage>;
  /** Bytes the model needs in SRAM, lane-padded, every tensor resident (an upper bound on what allocation uses). */
  readonly sramBytesNeeded: number;
  /** The smallest chip count this partitioner fits the model on. */
  readonly minChips: number;
  /** The packing's SRAM estimate of each chip it uses (index = chip; empty for one stage on one chip). */
  readonly chipBytes: readonly number[];
  /** The strategy asked for (auto included). */
  readonly strategy: PartitionStrategy;
  /** Whether the stages are spread.ts's placement (`spread`, or `layers`, which places a unit by it; either asked
   * or chosen by auto): a placement by its SRAM estimate, which compile.ts's LPU5011 guard falls back from. */
  readonly spread: boolean;
  /** `layers` (asked, or chosen by auto for a deep repeat: deep-repeat.ts): instances 0 .. unit - 1 of the repeat
   * on chips `base .. base + width - 1`, the next `unit` ones `width` further, and so on. */
  readonly groups?: { readonly base: number; readonly width: number; readonly unit: number };
}

/** SRAM bytes a tensor takes once tiled: every row a vector per 320-lane column tile, per byte. */
export function paddedBytes(t: KTensor, lanes: number): number {
  return t.rows * Math.ceil(t.cols / lanes) * lanes * DTYPE_BYTES[t.dtype];
}

/** Share of a chip's usable SRAM (below) the packing may fill. ASSUMPTION: the rest absorbs what the estimate leaves
 * out: allocate reuses freed space less well than lifetimes allow (free blocks are not merged, tensors used
 * together avoid each other's slices, slice groups fill unevenly). Measured: allocate's use exceeds the estimate by
 * up to 4% of a chip (gpt2-small, bert-base, llama2-7b; docs/compiler.md). */
export const STAGE_FILL = 0.94;

/** Bytes of a chip the packing may fill: every MEM slice less one weight block (allocate places a block's rows in
 * one run of words, so a slice can strand up to a block's rows below its end), times STAGE_FILL. 90% of tsp-v1. */
export function usableBytesPerChip(m: Machine): number {
  const words = m.mem.wordsPerSlice;
  return sramBytesPerChip(m) * (Math.max(0, words - m.mxm.rows) / words) * STAGE_FILL;
}

export function partition(
  kernel: KernelGraph,
  machine: Machine,
  chips: number,
  file: string,
  strategy: PartitionStrategy = "auto",
  /** `layers`: instances per group (absent: the fewest that fit). */
  layerUnit?: number,
): { partitioned: PartitionedGraph; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const perChip = sramBytesPerChip(machine);
  const lanes = machine.lanes;
  const needed = kernel.tensors.reduce((s, t) => s + paddedBytes(t, lanes), 0);
  const tensors = new Map(kernel.tensors.map((t) => [t.id, t]));
  const nodeChips = Math.min(machine.system.chipsPerNode, machine.system.localLinksPerChip + 1);
  const dtypes = [...new Set(kernel.tensors.filter((t) => t.role === "param").map((t) => t.dtype))].sort();
  const ctx = packContext(
    kernel.ops,
    tensors,
    kernel.outputs.map((o) => o.tensor),
    {
      lanes,
      planes: machine.mxm.planes,
      budget: usableBytesPerChip(machine),
      nodeChips,
      chunkRows: machine.mxm.accumulatorRows,
      gateways: globalLinks(machine).gateEast !== undefined,
    },
  );

  // The fewest chips: the greedy packing of ops into stages with no limit on chips.
  const packed = packStages(ctx);
  const minChips = packed.ok ? packed.chips : Number.POSITIVE_INFINITY;
  const nSplits = new Map<string, readonly number[]>();
  let groups: PartitionedGraph["groups"];
  let spread = false;
  const result = (
    stageOf: Map<string, Stage>,
    matmulChips: Map<string, number>,
    used: number,
    kSplits: ReadonlyMap<string, readonly number[]> = new Map(),
    chipBytes: readonly number[] = [],
  ): { partitioned: PartitionedGraph; diagnostics: Diagnostic[] } => {
    // A tensor lives where the op that defines it runs, a source where its first reader runs; stages.ts makes
    // copies (or link transfers) where other chips read them.
    const chipOf = new Map<string, number>(kernel.tensors.map((t) => [t.id, 0]));
    const seen = new Set<string>();
    for (const op of kernel.ops) {
      const base = stageOf.get(op.id)?.base ?? 0;
      chipOf.set(op.out, base);
      for (const i of opInputs(op))
        if (tensors.get(i)!.role !== "temp" && !seen.has(i)) {
          seen.add(i);
          chipOf.set(i, base);
        }
    }
    return {
      partitioned: {
        kernel,
        chips: used,
        matmulChips,
        kSplits,
        nSplits,
        chipOf: new Map([...chipOf].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
        stageOf,
        sramBytesNeeded: needed,
        minChips: Number.isFinite(minChips) ? minChips : chips + 1,
        chipBytes,
        strategy,
        spread,
        groups,
      },
      diagnostics,
    };
  };
  if (!packed.ok) {
    const why =
      usableBytesPerChip(machine) > 0
        ? packed.why
        : `a MEM slice of ${machine.mem.wordsPerSlice} words cannot hold a ${machine.mxm.rows}-row weight block with room for anything else, so no chip count fits: mem_words must be above ${machine.mxm.rows}`;
    diagnostics.push(diag(M.unsupportedShape, file, undefined, [kernel.name, why]));
    return result(new Map(), new Map(), 1);
  }
  if (minChips > chips) {
    diagnostics.push(
      diag(M.notEnoughChips, file, undefined, [
        kernel.name,
        dtypes.join("/") || "its dtypes",
        minChips,
        packed.chipBytes.reduce((a, b) => a + b, 0),
        Math.floor(usableBytesPerChip(machine)),
        perChip,
        chips,
      ]),
    );
    return result(new Map(), new Map(), 1);
  }

  const stageOf = new Map<string, Stage>();
  const matmulChips = new Map<string, number>();
  const kSplits = new Map<string, readonly number[]>();
  // The K tiles the matmul reads: a masked attention head reads only its own (kTiles); a chip given none of them
  // would have an empty partial sum.
  const kTilesOf = (op: Extract<KOp, { kind: "matmul" }>) =>
    op.kTiles ? op.kTiles[1] - op.kTiles[0] : Math.ceil(tensors.get(op.a)!.cols / lanes);
  let stagesUsed: Packing = packed;
  // Stages cut between a repeat's instances rather than inside one, when the chips given allow it.
  if ((strategy === "auto" || strategy === "pack") && packed.chips > 1) {
    const aligned = alignToInstances(ctx, packed);
    if (aligned.chips <= chips) stagesUsed = aligned;
  }
  if (strategy === "pipeline" && chips > 1) {
    const balanced = balanceStages(ctx, chips);
    if (balanced) stagesUsed = balanced;
  }
  // Chips to spare: spread the ops for speed (spread.ts). auto does when the model needs more than one chip and
  // the estimate beats the packing. A model that fits one chip keeps the K splits below: spreading it schedules
  // faster or slower with no pattern the estimate sees (tiny-gpt: 13,998 cycles spread on 2 chips and 11,782 on 8,
  // against 12,683 on one; attention-head on 8: 1,452 against 1,367), so `spread` must be asked for.
  let deep: LayerPlacement | undefined;
  if ((strategy === "spread" || (strategy === "auto" && packed.chips > 1)) && chips > 1) {
    const timing = spreadTiming(machine);
    // The greedy pass at full fill first: a deep repeat's whole model has tens of thousands of ops, and when auto
    // stamps it that placement is only weighed, never used (the stamped units try every fill in layers.ts).
    // auto stamps a deep repeat when the rule in deep-repeat.ts says so, weighed against the plan chosen so far:
    // the stamped plan is placed first, since the whole model's spread need not run past the estimate from which it
    // can no longer keep the stamped plan out (stamped <= STAMP_SLACK * whole). Stopped there (its time line only
    // grows), it ends later still: the stamped plan wins if the spread would have won over the packing, and else
    // if the packing's estimate keeps it in too; only when neither is known is the spread run to its end.
    const plan =
      strategy === "auto" ? deepRepeatPlan(kernel, ctx, timing, chips, deskewPeriodOf(machine)) : undefined;
    const packCycles = estimatePlacement(ctx, timing, stagesUsed.stages);
    // A little above the bound, so that a stop means the bound is passed despite rounding.
    const limit = plan ? (plan.stamped / STAMP_SLACK) * (1 + 1e-9) : Number.POSITIVE_INFINITY;
    let fullFill = spreadStages(ctx, timing, chips, FULL_FILL, limit);
    // Undefined also when the spread does not fit the chips: run again to the end, it is known then, not stopped.
    let stopped = plan !== undefined && !fullFill;
    if (stopped && STAMP_SLACK * packCycles < plan!.stamped) {
      fullFill = spreadStages(ctx, timing, chips, FULL_FILL);
      stopped = false;
    }
    const wins = (s: typeof fullFill) =>
      s && (strategy === "spread" || s.cycles < SPREAD_MARGIN * packCycles);
    if (wins(fullFill)) [stagesUsed, spread] = [fullFill!, true];
    if (plan) {
      const whole = spread && fullFill ? fullFill.cycles : packCycles;
      if (stopped || plan.stamped <= STAMP_SLACK * whole) deep = plan.placement;
    }
    if (!deep) {
      // The other fills (spread.ts FILL_FRACTIONS), each kept only if it ends before the full fill.
      const capped = spreadStages(
        ctx,
        timing,
        chips,
        FILL_FRACTIONS.filter((f) => f < 1),
        fullFill?.cycles,
      );
      if (wins(capped)) [stagesUsed, spread] = [capped!, true];
    }
  }
  if (strategy === "layers" || deep) {
    const l = deep
      ? { placement: deep, why: "" }
      : layerPartition(ctx, spreadTiming(machine), chips, layerUnit);
    if (!l.placement) {
      diagnostics.push(diag(M.noLayerPlacement, file, undefined, [kernel.name, l.why]));
      return result(new Map(), new Map(), 1);
    }
    [stagesUsed, spread] = [l.placement, true];
    groups = { base: l.placement.groupBase, width: l.placement.groupWidth, unit: l.placement.unit };
  }
  if (stagesUsed.chips > 1 || strategy === "pipeline" || spread) {
    kernel.ops.forEach((op, i) => {
      const st = stagesUsed.stages[i]!;
      stageOf.set(op.id, { base: st.base, width: st.width });
      if (op.kind === "matmul" && st.kBounds) {
        matmulChips.set(op.id, st.width);
        kSplits.set(op.id, st.kBounds);
      }
      // A product split by output columns, or an elementwise op by the same ranges (in-place.ts).
      if (st.nBounds && st.width > 1) nSplits.set(op.id, st.nBounds);
    });
  } else {
    // One stage: split a matmul's K over the node's chips only where it is forced or pays for its links.
    const maxChips = Math.min(chips, nodeChips);
    const whole: Stage = { base: 0, width: maxChips };
    for (const op of kernel.ops) {
      stageOf.set(op.id, whole);
      // A diagonal weight's K tiles differ per output tile: never split (tile.ts).
      if (op.kind !== "matmul" || strategy === "none" || op.bLayout?.kind === "diagonal") continue;
      const n =
        strategy === "k-split"
          ? Math.min(maxChips, kTilesOf(op))
          : bestSplit(op, tensors, machine, Math.min(maxChips, kTilesOf(op)));
      if (n > 1) matmulChips.set(op.id, n);
    }
  }
  let used = 1;
  for (const [id, st] of stageOf)
    used = Math.max(used, st.base + (matmulChips.get(id) ?? (nSplits.has(id) ? st.width : 1)));
  if (stagesUsed.chips > 1 || strategy === "pipeline" || spread)
    for (const st of stageOf.values()) used = Math.max(used, st.base + 1);
  if (chips > used)
    diagnostics.push(
      diag(M.chipsUnused, file, undefined, [
        chips,
        used,
        unusedChipsReason(deep ? "layers" : strategy, nodeChips, lanes, spread),
      ]),
    );
  return result(
    stageOf,
    matmulChips,
    used,
    kSplits,
    stagesUsed.chips > 1 || strategy === "pipeline" || spread ? stagesUsed.chipBytes : [],
  );
}

/** Why a partition leaves chips idle, for LPU5006: the advice differs with the strategy the user chose. */
function unusedChipsReason(
  strategy: PartitionStrategy,
  nodeChips: number,
  lanes: number,
  spread: boolean,
): string {
  // Ops of one pass mostly wait for each other: nodes beyond what the SRAM needs would add link hops, not speed.
  const spreadWhy = `each op goes where it is estimated to finish first, on one chip or split (by K or by output columns) over chips of one node (at most ${nodeChips}; a model output no op reads, by columns over up to ${OUTPUT_NODES} nodes), and the next node is used only once one is full, but for a heavy product's column split (its weights' load time on one node well above its input's and output's link time), which may take a later node`;
  switch (strategy) {
    case "spread":
      return spread ? spreadWhy : "the spread did not fit the chips given, so the ops were packed";
    case "auto":
      if (spread) return `${spreadWhy}; --partition pipeline forces more chips`;
      return "splitting further would cost more link time than it saves; --partition k-split or pipeline forces it";
    case "pack":
      return "splitting further would cost more link time than it saves; --partition k-split or pipeline forces it";
    case "none":
      return "--partition none keeps every matmul on one chip";
    case "k-split":
      return `a K split gives each chip at least one ${lanes}-lane K tile the matmul reads, on at most the ${nodeChips} chips of a node`;
    case "layers":
      return "each instance of the repeated block takes the whole nodes its first instance needs";
    case "pipeline":
      return "pipeline stages are cut between ops at about equal shares of their bytes, and this model's ops do not spread over more";
    default:
      return assertNever(strategy);
  }
}

/** Cuts the ops into `chips` stages of about equal bytes (never fewer chips than the packing needs). */
function balanceStages(ctx: PackContext, chips: number): Packing | undefined {
  const opBytes = ctx.ops.map((op) => {
    let b = 0;
    for (const x of [...opInputs(op), op.out]) b += paddedBytes(ctx.tensors.get(x)!, ctx.lanes);
    return b;
  });
  const total = opBytes.reduce((a, b) => a + b, 0);
  const cuts = new Set<number>();
  let acc = 0;
  let stage = 1;
  for (let i = 0; i < ctx.ops.length && stage < chips; i++) {
    if (i > 0 && acc >= (stage * total) / chips) {
      cuts.add(i);
      stage++;
    }
    acc += opBytes[i]!;
  }
  const p = packStages(ctx, cuts);
  return p.ok && p.chips <= chips ? p : undefined;
}

/** The spread placement must beat the other by this factor: its estimate is rough, and a placement over fewer
 * chips moves less data. ASSUMPTION, not measured. */
const SPREAD_MARGIN = 0.9;

/** The machine numbers spread.ts estimates with. */
export function spreadTiming(m: Machine): SpreadTiming {
  const { num, den } = linkWordTime(m);
  return {
    planes: m.mxm.planes,
    tileRows: m.mxm.rows,
    maxLoadWidth: m.mxm.maxLoadWidth,
    convertWidth: convertWidthOf(m),
    cyclesPerVector: (bytes) => mxmCyclesPerVector(m, bytes === 1 ? "int8" : "fp16"),
    // A product's results make one SRAM round trip after its last group (Timeline.matmulOn), from the timing model.
    // A VXM op's and a link's stay the fixed guesses below: their trips from the timing model (streamTrip) made the
    // head chains' estimate honest but cost the whole fp8 70b 1.3% (docs/compiler.md "A product's SRAM trip").
    matmulLatency: streamTrip(m, "mxm") + m.mxm.latency,
    vxmLatency: 4 * m.vxm.latency.simple,
    // ASSUMPTION: a trip costs twice the link latency in the schedule: around the wire are the send's read and the
    // recv's write, and a link's sends go in list order, so a trip waits its turn. Chosen from measurements (a
    // 640-wide llama layer over 16 small chips: 9,412 cycles at 1x, 7,813 at 2x against 8,068 packed; gpt2-small on
    // 576 chips: 147,173 at 1x, 128,351 at 2x; llama2-7b and llama3-8b, 1 layer: within 3% either way).
    linkLatency: 2 * m.c2c.latency,
    hopLatency: m.c2c.latency,
    gateways: globalLinks(m).gateEast !== undefined,
    bufferWords: m.c2c.bufferWords,
    wordCycles: num / den,
    planeSplit: planeTiming(m),
  };
}
