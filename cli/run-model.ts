// Compile-and-simulate for a .model file: runs a compiled Program on the simulator and compares it with what the
// compiler predicted (cycles, exactly) and, when functional, with the reference interpreter (values, within the
// dtype tolerance below). Shared by `lpu run FILE.model` and the end-to-end tests. Lives in cli/ because it is
// the one place allowed to see both the compiler and the simulator.
import type { Program } from "../arch/isa.ts";
import type { Machine } from "../arch/machine.ts";
import type { ModelGraph } from "../compiler/graph/ir.ts";
import { interpret } from "../compiler/reference/interpret.ts";
import type { CompileReport } from "../compiler/schedule/bounds.ts";
import { formatHazards, type Hazard, Simulator } from "../simulator/lpu/index.ts";
import { collectResults } from "../simulator/lpu/results.ts";
import { decode } from "../simulator/lpu/values.ts";
import { UserError } from "../util/diagnostics.ts";
import { compileFile, MAX_DATA_ELEMENTS } from "./commands/compile.ts";
import { stableJson } from "./common.ts";

/**
 * Tolerance of a simulated output against the interpreter: |sim - ref| <= TOLERANCE * max(1, |ref|). Both round
 * each op's result to the output dtype (fp16: 11-bit significand, half an ulp = 2^-11 relative) and accumulate
 * matmuls in fp32, but the compiler may add K-tile partial sums in another order (split over MXM planes), which
 * can move a result to the neighbouring fp16 value; chained ops can compound a few such ulps. The transformer
 * lowerings add a few more rounding points the interpreter does not have (attention's probabilities rounded to
 * fp16 for the MXM, lane sums of fp32 values as bf16 hi + lo, softmax without the max subtracted, moe's hidden layer
 * rounded to 16 bits for the down product): measured at most 4.6e-3 on two-layer fp16 models and 2.7e-2 (about 7
 * ulps) on a two-layer bf16 Mixtral (docs/compiler.md, "Ops"). 1e-2 is about 20 fp16 ulps, 6e-2 about 15 bf16 ulps:
 * far above rounding noise, far below any real mistake (a wrong weight or lane moves values by O(1)). fp32 outputs
 * come from VXM ops in fp32 and lane sums of fp32 values as bf16 hi + lo (about 2^-17 = 7.6e-6 of the sum of the
 * terms' magnitudes): 1e-4 is about 13 such units; measured at most 6e-7 on fp32 layernorm, rmsnorm and softmax rows
 * of 320 to 9,600 lanes (a layernorm output's error grows with its row's mean over its spread). int32 outputs
 * (topk's indices) must be exact.
 */
export const TOLERANCE: Readonly<Record<string, number>> = { fp16: 1e-2, bf16: 6e-2, fp32: 1e-4 };

export interface ModelRun {
  readonly predictedCycles: number;
  readonly cycles: number;
  readonly cyclesMatch: boolean;
  readonly hazards: readonly Hazard[];
  readonly instructions: number;
  readonly latencyUs: number;
  readonly sramBytesMax: number;
  /** Only when run functionally. */
  readonly maxAbsError?: number;
  readonly maxRelError?: number;
  readonly outputsMatch?: boolean;
}

export function runModel(
  graph: ModelGraph,
  program: Program,
  report: CompileReport,
  machine: Machine,
  opts: {
    functional: boolean;
    seed: number;
    clockSeed?: number;
    /** Source values the program was compiled with instead of the seeded ones (the interpreter uses them too). */
    sources?: ReadonlyMap<string, ArrayLike<number>>;
  },
): ModelRun {
  const sim = new Simulator(program, machine, { functional: opts.functional, seed: opts.clockSeed ?? 1 });
  sim.run();
  const res = collectResults(sim);
  const base = {
    predictedCycles: report.cycles,
    cycles: res.cycles,
    cyclesMatch: res.cycles === report.cycles,
    hazards: res.hazards,
    instructions: res.instructions,
    latencyUs: res.latencyUs,
    sramBytesMax: res.sramBytesMax,
  };
  if (!opts.functional) return base;
  const ev = interpret(graph, {
    seed: opts.seed,
    retain: "outputs",
    ...(opts.sources ? { sources: opts.sources } : {}),
  });
  let maxAbs = 0;
  let maxRel = 0;
  let match = true;
  for (const out of ev.outputs) {
    const cols = out.type.shape[out.type.shape.length - 1] ?? 1;
    const tol = TOLERANCE[out.type.dtype] ?? 0;
    // Every value of the output must be found in some chip's regions: an output left in parts on several chips
    // (a column split's, docs/compiler.md) with a part missing would otherwise compare only what is there.
    const covered = new Uint8Array(out.data.length);
    for (const chip of program.chips) {
      // Region names: NAME (one block) or NAME#tJ.rR (column tile J, rows from R), see compiler/emit/program.ts.
      for (const reg of chip.outputs) {
        const m = reg.name === out.name ? ["", out.name, "0", "0"] : /^(.*)#t(\d+)\.r(\d+)$/.exec(reg.name);
        if (!m || (reg.name !== out.name && m[1] !== out.name)) continue;
        const j = Number(m[2]);
        const row0 = Number(m[3]);
        for (let w = 0; w < reg.words; w++) {
          const planes = reg.slices.map((s) => sim.chip(chip.chip)!.sram.read(s, reg.addr + w)!);
          const vals = decode(reg.type, planes, machine.lanes);
          for (let l = 0; l < machine.lanes && j * machine.lanes + l < cols; l++) {
            const at = (row0 + w) * cols + j * machine.lanes + l;
            const ref = out.data[at]!;
            covered[at] = 1;
            const err = Math.abs(vals[l]! - ref);
            maxAbs = Math.max(maxAbs, err);
            maxRel = Math.max(maxRel, err / Math.max(1, Math.abs(ref)));
            if (!(err <= tol * Math.max(1, Math.abs(ref)))) match = false;
          }
        }
      }
    }
    if (covered.includes(0)) match = false;
  }
  return { ...base, maxAbsError: maxAbs, maxRelError: maxRel, outputsMatch: match };
}

export interface RunModelFlags {
  chips: number;
  set: Record<string, string>;
  arch?: string;
  archSet?: Record<string, string>;
  seed?: number;
  functional?: boolean;
  json?: boolean;
  partition?: string;
}

/** The compiled program and what the run needs besides it: the rest of the compile (its schedule, task graph) is
 * left to the garbage collector before the simulation starts (the program's instructions are columns of their
 * own, arch/columns.ts, not the schedule's objects). */
function compileForRun(
  file: string,
  flags: RunModelFlags,
  functional: boolean,
): { graph: ModelGraph; machine: Machine; program: Program; report: CompileReport; withData: boolean } {
  const { graph, machine, result, withData } = compileFile(
    file,
    {
      chips: flags.chips,
      arch: flags.arch ?? "tsp-v1",
      archSet: flags.archSet ?? {},
      set: flags.set,
      seed: 0,
      partition: flags.partition,
    },
    functional,
  );
  return { graph, machine, program: result.program!, report: result.report, withData };
}

/** `lpu run FILE.model`: compile, simulate, check the prediction (and the values with --functional), print. */
export function runModelFile(file: string, flags: RunModelFlags): void {
  const functional = flags.functional ?? false;
  const { graph, machine, program, report: r, withData } = compileForRun(file, flags, functional);
  if (functional && !withData)
    throw new UserError(
      `'${file}' is too large to run functionally (over ${MAX_DATA_ELEMENTS} seeded values)`,
    );
  const run = runModel(graph, program, r, machine, {
    functional,
    seed: 0,
    clockSeed: flags.seed ?? 1,
  });
  if (run.hazards.length > 0) {
    process.stderr.write(`${formatHazards(run.hazards, file)}\n`);
    throw new UserError(
      `the simulator found ${run.hazards.length} hazard(s) in the compiled schedule (a compiler bug)`,
    );
  }
  const doc: Record<string, unknown> = {
    cycles: run.cycles,
    predicted_cycles: run.predictedCycles,
    latency_us: run.latencyUs,
    tokens_per_s: run.cycles > 0 ? (r.tokensPerS * r.cycles) / run.cycles : 0,
    instructions: run.instructions,
    chips: r.chips,
    sram_bytes_max: run.sramBytesMax,
    sram_allocated_bytes_max: Math.max(0, ...r.sramBytesPerChip),
    lower_bound_cycles: r.lowerBound,
    efficiency: run.cycles > 0 ? r.lowerBound / run.cycles : 0,
  };
  if (functional) {
    doc.max_abs_error = run.maxAbsError;
    doc.outputs_match = run.outputsMatch;
  }
  if (flags.json) process.stdout.write(stableJson(doc));
  else {
    const lines = [
      `${file} compiled for ${r.chips} chip(s) of ${machine.name} and simulated`,
      `  cycles        ${run.cycles} (predicted ${run.predictedCycles}${run.cyclesMatch ? ", exact" : ", MISMATCH"})`,
      `  latency       ${run.latencyUs} us`,
      `  tokens/s      ${(doc.tokens_per_s as number).toFixed(1)}`,
      `  instructions  ${run.instructions}`,
      // Two figures with two definitions, named as such: what the compiler reserved, and what the run touched.
      `  SRAM          ${Math.max(0, ...r.sramBytesPerChip)} B allocated by the compiler, ${run.sramBytesMax} B written ` +
        `in the run (largest chip${functional ? "" : "; timing only: no weights loaded"}; see lpu run --help)`,
      `  lower bound   ${r.lowerBound} cycles (${r.boundName}), efficiency ${(100 * (doc.efficiency as number)).toFixed(1)}%`,
    ];
    if (functional)
      lines.push(
        `  outputs       ${run.outputsMatch ? "match" : "DO NOT MATCH"} the reference interpreter (max abs error ${run.maxAbsError}, max rel error ${run.maxRelError?.toExponential(2)})`,
      );
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (!run.cyclesMatch)
    throw new UserError(
      `simulated ${run.cycles} cycles but the compiler predicted ${run.predictedCycles} (a compiler bug)`,
    );
  if (functional && !run.outputsMatch)
    throw new UserError("the simulated outputs differ from the reference interpreter");
}
