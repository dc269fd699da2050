// The LPU side of a comparison, as CLI-level glue: a .model file -> compiled once (timing only, no weights) ->
// simulated once per clock-drift seed, each run's cycles and activity counts. Lives in cli/ because it is a place
// allowed to see both the compiler and the simulator. Guarantees: the same file, flags and seeds give the same runs;
// a model the back end cannot compile (yet, or at all on these chips) stops with the compiler's own diagnostics.

import { resolveMachine } from "../../arch/derive.ts";
import type { Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type { ModelGraph } from "../../compiler/graph/ir.ts";
import type { CompileReport } from "../../compiler/schedule/bounds.ts";
import { formatHazards, Simulator } from "../../simulator/lpu/index.ts";
import type { RunResult } from "../../simulator/lpu/results.ts";
import { lpuCounts } from "../../simulator/report/compare/lpu-activity.ts";
import type { LpuRunSample } from "../../simulator/report/compare/lpu-summary.ts";
import { formatDiagnostics, hasErrors, UserError } from "../../util/diagnostics.ts";
import { hashString } from "../../util/random.ts";
import { readSource, reportDiagnostics } from "../common.ts";

export interface LpuFlags {
  readonly chips: number;
  readonly arch: string;
  readonly archSet: Readonly<Record<string, string>>;
  readonly set: Readonly<Record<string, string>>;
}

export interface LpuCompiled {
  readonly graph: ModelGraph;
  readonly machine: Machine;
  readonly program: Program;
  readonly report: CompileReport;
}

/** Loads the model (its own mistakes are the user's) and compiles it without data (timing only). */
export function compileForLpu(file: string, flags: LpuFlags): LpuCompiled {
  const text = readSource(file);
  const loaded = loadModel(text, file, { ...flags.set });
  reportDiagnostics(loaded.diagnostics, text);
  const graph = loaded.graph!;
  const machine = resolveMachine(flags.arch, flags.archSet);
  const result = compile(graph, machine, { chips: flags.chips, file });
  if (result.diagnostics.length > 0) process.stderr.write(`${formatDiagnostics(result.diagnostics, text)}\n`);
  if (hasErrors(result.diagnostics) || !result.program || !result.report)
    throw new UserError(
      `the LPU compiler did not compile '${file}' (its diagnostics are above); the GPU side alone: lpu gpu ${file}`,
    );
  return { graph, machine, program: result.program, report: result.report };
}

/** K clock seeds derived from one: run i of seed S always gets the same chip clocks. */
export function clockSeeds(seed: number, runs: number): number[] {
  return Array.from({ length: runs }, (_, i) => hashString(`${seed}:lpu-clock:${i}`));
}

/**
 * Simulates a program once per seed, timing only (values are not needed to count cycles and activity). A hazard
 * means the schedule would not run as written: a compiler bug, reported with the assembly context and thrown.
 */
export function simulateLpu(
  program: Program,
  machine: Machine,
  seeds: readonly number[],
  label = "(compiled program)",
): LpuRunSample[] {
  return simulateLpuRuns(program, machine, seeds, label).samples;
}

/** As simulateLpu, keeping the first run's full result too (utilization per unit kind, for a report). */
export function simulateLpuRuns(
  program: Program,
  machine: Machine,
  seeds: readonly number[],
  label = "(compiled program)",
): { samples: LpuRunSample[]; first: RunResult } {
  const out: LpuRunSample[] = [];
  let first: RunResult | undefined;
  for (const seed of seeds) {
    const sim = new Simulator(program, machine, { seed, functional: false });
    sim.run();
    const r = sim.result();
    // link-unreceived is a warning (a word sent that no recv took), as in `lpu run`.
    const errors = r.hazards.filter((h) => h.name !== "link-unreceived");
    if (errors.length > 0) {
      process.stderr.write(`${formatHazards(r.hazards, label)}\n`);
      throw new UserError(
        `the simulator found ${errors.length} hazard(s) in the compiled schedule with clock seed ${seed} (a compiler bug)`,
      );
    }
    out.push({ seed, cycles: r.cycles, pauseCycles: r.pauseCycles, counts: lpuCounts(sim) });
    first ??= r;
  }
  if (!first) throw new Error("internal error: no LPU runs (no clock seeds)");
  return { samples: out, first };
}

/** `lpu compare`'s LPU half (and any command that needs a model's measured LPU runs): compile, then K runs. */
export function compileAndSimulate(
  file: string,
  flags: LpuFlags,
  seeds: readonly number[],
): { compiled: LpuCompiled; samples: LpuRunSample[]; first: RunResult } {
  const compiled = compileForLpu(file, flags);
  return { compiled, ...simulateLpuRuns(compiled.program, compiled.machine, seeds, `${file} (compiled)`) };
}
