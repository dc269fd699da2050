// One LPU configuration of a sweep: load the model with its constants, derive the machine, compile for the chip
// count, and (when the program is small enough) simulate it and check the cycles equal the compiler's prediction.
// Out: the row's figures (energy and cost from the `lpu` presets, as `lpu compare` with no --cost-set), or a failed
// outcome carrying the compiler's own message ("needs at least N chips").
import { resolveMachine } from "../../arch/derive.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type { ModelGraph } from "../../compiler/graph/ir.ts";
import type { Outcome } from "../../compiler/sweep/evaluation.ts";
import type { Combination } from "../../compiler/sweep/grid.ts";
import { Simulator } from "../../simulator/lpu/index.ts";
import { type LpuCounts, lpuCounts, programCounts } from "../../simulator/report/compare/lpu-activity.ts";
import { summarizeLpu } from "../../simulator/report/compare/lpu-summary.ts";
import { type CostModel, deriveCost } from "../../simulator/report/cost/derive.ts";
import { UserError } from "../../util/diagnostics.ts";
import { ARCH_SET_PREFIX, errorLine, SET_PREFIX, type SweepContext, withPrefix } from "./context.ts";

/** Graphs this worker built, by their constants: a sweep over chips reuses one graph for every chip count. */
const graphs = new Map<string, ModelGraph>();

export function loadGraph(ctx: SweepContext, sets: Record<string, string>): ModelGraph {
  const key = JSON.stringify(Object.entries(sets).sort());
  const hit = graphs.get(key);
  if (hit) return hit;
  const loaded = loadModel(ctx.text, ctx.file, sets);
  if (!loaded.graph) throw new UserError(errorLine(loaded.diagnostics));
  graphs.set(key, loaded.graph);
  return loaded.graph;
}

/** The LPU's energy and cost presets, with no overrides. */
function lpuCost(): CostModel {
  const costed = deriveCost("lpu");
  if (!costed.model)
    throw new Error(`internal error: the 'lpu' cost preset: ${errorLine(costed.diagnostics)}`);
  return costed.model;
}

/** Counts as text with sorted keys: the same counts give the same text whatever order they were summed in. */
function countsKey(c: LpuCounts): string {
  return JSON.stringify(
    Object.entries(c).map(([k, v]) => [k, typeof v === "number" ? v : Object.entries(v).sort()]),
  );
}

export function evaluateLpu(c: Combination, ctx: SweepContext): Outcome {
  const graph = loadGraph(ctx, withPrefix(c.params, SET_PREFIX));
  const machine = resolveMachine(c.params.arch ?? "tsp-v1", withPrefix(c.params, ARCH_SET_PREFIX));
  const chips = Number(c.params.chips ?? "1");
  const result = compile(graph, machine, { chips, file: ctx.file });
  if (!result.report) {
    const reason = errorLine(result.diagnostics);
    // Too few chips (LPU5001): the row still says how many would do, the figure a chip-count sweep is for. Only
    // then: after other failures the partitioner's count is not a statement that the model fits.
    const tooFew = result.minChips !== undefined && result.diagnostics.some((d) => d.code === "LPU5001");
    return tooFew
      ? { kind: "failed", reason, metrics: { chips_needed: result.minChips! } }
      : { kind: "failed", reason };
  }
  const r = result.report;
  const program = result.program!;
  // A complete run issues every instruction once: the energy model's counts come from the program, so a row's J/token
  // does not depend on whether it was small enough to simulate (and a simulated row checks the two agree, below).
  const counts = programCounts(program, machine);
  const summary = summarizeLpu({
    samples: [{ seed: ctx.seed, cycles: r.cycles, pauseCycles: 0, counts }],
    chips: program.chips.length,
    clockMHz: machine.clockMHz,
    batch: graph.constants.batch ?? 1,
    seq: graph.constants.seq ?? 1,
    cost: lpuCost(),
  });
  const metrics: Record<string, number> = {
    latency_us: r.latencyUs,
    // batch x seq tokens per pass, the tokens the J/token and $/Mtok are per (as `lpu compare`).
    tokens_per_s: summary.tokens_per_s.total,
    chips_used: r.chips,
    chips_needed: result.minChips ?? r.chips,
    joules_per_token: summary.joules_per_token,
    usd_per_mtok: summary.usd_per_mtok,
    cycles: r.cycles,
    instructions: r.instructions,
    efficiency: r.efficiency,
  };
  if (ctx.simulateUpTo > 0 && r.instructions <= ctx.simulateUpTo) {
    // Timing only: the sweep compiled without data, and the cycle count does not depend on values.
    const sim = new Simulator(program, machine, { functional: false, seed: ctx.seed });
    sim.run();
    const got = sim.result();
    // Either is a compiler or simulator bug, not a property of the configuration: a crashed row.
    if (sim.hazards.length > 0)
      throw new Error(`the simulator found ${sim.hazards.length} hazard(s) in the compiled program`);
    if (got.cycles !== r.cycles)
      throw new Error(`the simulator took ${got.cycles} cycles where the compiler predicted ${r.cycles}`);
    if (countsKey(lpuCounts(sim)) !== countsKey(counts))
      throw new Error(
        "the simulator issued other instructions than the program holds (activity counts differ)",
      );
    metrics.simulated_cycles = got.cycles;
  }
  return { kind: "ok", metrics };
}
