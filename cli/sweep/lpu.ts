// One LPU configuration of a sweep: load the model with its constants, derive the machine, compile for the chip
// count, and (when the program is small enough) simulate it and check the cycles equal the compiler's prediction.
// Out: the row's figures, or a failed outcome carrying the compiler's own message ("needs at least N chips").
import { resolveMachine } from "../../arch/derive.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type { ModelGraph } from "../../compiler/graph/ir.ts";
import type { Outcome } from "../../compiler/sweep/evaluation.ts";
import type { Combination } from "../../compiler/sweep/grid.ts";
import { Simulator } from "../../simulator/lpu/index.ts";
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

export function evaluateLpu(c: Combination, ctx: SweepContext): Outcome {
  const graph = loadGraph(ctx, withPrefix(c.params, SET_PREFIX));
  const machine = resolveMachine(c.params.arch ?? "tsp-v1", withPrefix(c.params, ARCH_SET_PREFIX));
  const chips = Number(c.params.chips ?? "1");
  const result = compile(graph, machine, { chips, file: ctx.file });
  if (!result.report) return { kind: "failed", reason: errorLine(result.diagnostics) };
  const r = result.report;
  const metrics: Record<string, number> = {
    latency_us: r.latencyUs,
    tokens_per_s: r.tokensPerS,
    chips_used: r.chips,
    cycles: r.cycles,
    instructions: r.instructions,
    efficiency: r.efficiency,
  };
  if (ctx.simulateUpTo > 0 && r.instructions <= ctx.simulateUpTo && result.program) {
    // Timing only: the sweep compiled without data, and the cycle count does not depend on values.
    const sim = new Simulator(result.program, machine, { functional: false, seed: ctx.seed });
    sim.run();
    const got = sim.result();
    // Either is a compiler or simulator bug, not a property of the configuration: a crashed row.
    if (sim.hazards.length > 0)
      throw new Error(`the simulator found ${sim.hazards.length} hazard(s) in the compiled program`);
    if (got.cycles !== r.cycles)
      throw new Error(`the simulator took ${got.cycles} cycles where the compiler predicted ${r.cycles}`);
    metrics.simulated_cycles = got.cycles;
  }
  return { kind: "ok", metrics };
}
