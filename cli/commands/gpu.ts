// `lpu gpu FILE.model`: lower the model to GPU kernels, simulate K runs on the GPU/HBM baseline, print the latency
// distribution, tokens per second, energy and cost (a table and a histogram, or --json); `--trace` writes one run's
// timeline as a Chrome trace. A model whose weights, KV cache and activations do not fit the GPUs' HBM stops first.
import { type Command, InvalidArgumentError } from "commander";
import { deriveGpu, GPU_SETTINGS } from "../../arch/gpu/derive.ts";
import { GPU_PRESETS, type GpuPreset } from "../../arch/gpu/presets.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { lowerToKernels } from "../../compiler/gpu/lower.ts";
import type { MoeParallel } from "../../compiler/gpu/shard.ts";
import { type PreparedPlan, prepare } from "../../simulator/gpu/prepare.ts";
import { batchFor, type RunSample, type RunsOptions, simulateRuns } from "../../simulator/gpu/runs.ts";
import { activityOf, type GpuSummary, summarize } from "../../simulator/gpu/summary.ts";
import { defaultThreads, simulateRunsOnThreads } from "../../simulator/gpu/threads.ts";
import { COST_SETTINGS, type CostModel, deriveCost } from "../../simulator/report/cost/derive.ts";
import type { Activity } from "../../simulator/report/cost/model.ts";
import { histogram } from "../../simulator/report/stats.ts";
import { UserError } from "../../util/diagnostics.ts";
import {
  action,
  collectSet,
  parsePositiveInt,
  readSource,
  reportDiagnostics,
  stableJson,
} from "../common.ts";
import { costSplitOf } from "../pipeline/compare-report.ts";
import { memoryDiagnostic } from "../pipeline/gpu-memory.ts";
import { traceGpuRun, writeTrace } from "../pipeline/gpu-trace.ts";

export interface GpuCliOptions {
  readonly gpu: string;
  readonly gpus: number;
  readonly runs: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly background: number;
  readonly cudaGraph: boolean;
  readonly set: Record<string, string>;
  readonly gpuSet: Record<string, string>;
  readonly costSet: Record<string, string>;
  /** How MoE experts are split over the GPUs (default tensor). */
  readonly moe?: MoeParallel;
  /** Worker threads for the runs (runGpuOnThreads); the samples do not depend on it. */
  readonly threads?: number;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("takes a whole number >= 0");
  return n;
}

function parseMoe(value: string): MoeParallel {
  if (value !== "tensor" && value !== "expert") throw new InvalidArgumentError("takes tensor or expert");
  return value;
}

function parseBackground(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1 || value.trim() === "") {
    throw new InvalidArgumentError("takes a share of HBM bandwidth from 0 up to (not including) 1");
  }
  return n;
}

/** Everything `lpu gpu` and `lpu compare` need: load, lower per batch, prepare, simulate, summarise. */
export interface GpuCliResult {
  readonly summary: GpuSummary;
  readonly preset: GpuPreset;
  readonly kernels: number;
  readonly requestBytes: number;
  /** Each run's latency, us, in run order. */
  readonly latencies: readonly number[];
  /** What the runs did, summed (the energy and cost model's input), and $/Mtok split into hardware and power. */
  readonly activity: Activity;
  readonly costSplit: { readonly capexUsdPerMtok: number; readonly energyUsdPerMtok: number };
}

/** What the runs need, set up once: the runs' options (a plan per batch, lowered and prepared once each), the cost
 * model, and the kernel count of batch 1. */
export interface GpuSetup {
  readonly runs: RunsOptions;
  readonly model: CostModel;
  readonly kernels: () => number;
}

/**
 * Loads, lowers and prepares the model (batch 1, and with --concurrency the largest batch any run draws), checking
 * that each lowered batch fits the GPUs' HBM (LPU7008 otherwise), before any run.
 */
export function gpuSetup(file: string, o: GpuCliOptions): GpuSetup {
  const derived = deriveGpu(o.gpu, o.gpuSet);
  reportDiagnostics(derived.diagnostics);
  const preset = derived.preset!;
  const costed = deriveCost(o.gpu, o.costSet);
  reportDiagnostics(costed.diagnostics);
  // The GPU preset owns TDP and static share; the energy model follows it.
  const model: CostModel = {
    ...costed.model!,
    energy: { ...costed.model!.energy, tdpW: preset.power.tdpW, staticShare: preset.power.staticShare },
  };
  const text = readSource(file);
  const cache = new Map<number, PreparedPlan>();
  let kernels = 0;
  const plans = (batch: number): PreparedPlan => {
    const hit = cache.get(batch);
    if (hit) return hit;
    const sets = o.concurrency > 1 ? { ...o.set, batch: String(batch) } : o.set;
    const loaded = loadModel(text, file, sets);
    reportDiagnostics(loaded.diagnostics, text);
    if (o.concurrency > 1 && loaded.graph!.constants.batch === undefined) {
      throw new UserError(`--concurrency needs a 'const batch' in ${file} to batch requests`);
    }
    const lowered = lowerToKernels(loaded.graph!, { gpus: o.gpus, sms: preset.sms, moe: o.moe });
    reportDiagnostics(lowered.diagnostics);
    const note =
      o.concurrency > 1
        ? ` (the largest any of the ${o.runs} runs draws at --concurrency ${o.concurrency})`
        : "";
    const tooBig = memoryDiagnostic(file, loaded.graph!, lowered.kernels!, preset, note);
    if (tooBig) reportDiagnostics([tooBig]);
    kernels = lowered.kernels!.kernels.length;
    const plan = prepare(lowered.kernels!, preset);
    cache.set(batch, plan);
    return plan;
  };
  // Batch 1 first: its errors come before any run, and its kernel count is the one printed.
  plans(1);
  const first = kernels;
  if (o.concurrency > 1) {
    let largest = 1;
    for (let i = 0; i < o.runs; i++) largest = Math.max(largest, batchFor(o.seed, i, o.concurrency));
    plans(largest);
  }
  const runs: RunsOptions = {
    preset,
    energy: model.energy,
    gpus: o.gpus,
    runs: o.runs,
    seed: o.seed,
    cudaGraph: o.cudaGraph,
    background: o.background,
    concurrency: o.concurrency,
    plans,
  };
  return { runs, model, kernels: () => first };
}

function result(s: GpuSetup, samples: readonly RunSample[]): GpuCliResult {
  const activity = activityOf(samples, s.runs.gpus);
  return {
    activity,
    costSplit: costSplitOf(activity, s.model),
    summary: summarize(samples, s.runs.gpus, s.model),
    preset: s.runs.preset,
    kernels: s.kernels(),
    requestBytes: s.runs.plans(1).requestBytes,
    latencies: samples.map((x) => x.ns / 1000),
  };
}

/** Everything `lpu gpu` and `lpu compare` need, on this thread: load, lower per batch, prepare, simulate, summarise. */
export function runGpu(file: string, o: GpuCliOptions): GpuCliResult {
  return runGpuSetup(gpuSetup(file, o));
}

export function runGpuSetup(s: GpuSetup): GpuCliResult {
  return result(s, simulateRuns(s.runs));
}

/** As runGpu, with the runs spread over `threads` worker threads (default: one per core); the same result. */
export async function runGpuOnThreads(file: string, o: GpuCliOptions): Promise<GpuCliResult> {
  const s = gpuSetup(file, o);
  return result(s, await simulateRunsOnThreads(s.runs, o.threads ?? defaultThreads()));
}

function f(x: number, digits = 2): string {
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printText(file: string, o: GpuCliOptions, r: GpuCliResult): string {
  const s = r.summary;
  const l = s.latency_us;
  const lines = [
    `${file} on ${o.gpus} x ${r.preset.name}: ${s.runs} runs, seed ${o.seed}, concurrency ${o.concurrency}` +
      `${o.background > 0 ? `, background ${o.background}` : ""}${o.cudaGraph ? ", CUDA graph" : ""}` +
      `${o.moe === "expert" ? ", expert-parallel MoE" : ""}`,
    `  kernels per GPU        ${r.kernels}   (HBM request granularity ${f(r.requestBytes / 1024, 0)} KB)`,
    "",
    "  latency (us)   min        p50        p90        p99        p99.9      max        mean       stdev",
    `                 ${[l.min, l.p50, l.p90, l.p99, l.p999, l.max, l.mean, l.stdev].map((x) => f(x).padEnd(10)).join(" ")}`,
    `  p99 / p50      ${f(l.p99 / l.p50, 4)}`,
    `  tokens/s       ${f(s.tokens_per_s.per_user, 1)} per user, ${f(s.tokens_per_s.total, 1)} total (mean batch ${f(s.batch_mean)})`,
    `  HBM            ${f(s.hbm.gb_per_run, 3)} GB per run, ${f(s.hbm.achieved_tbps, 3)} TB/s achieved, row-hit rate ${f(s.hbm.row_hit_rate, 3)}`,
    `  clock          lowest ${f(s.min_clock_mhz, 0)} MHz (boost ${r.preset.boostClockMHz})`,
    `  energy         ${f(s.joules_per_token, 4)} J/token (static ${f(s.energy_j_per_token.static, 4)}, HBM ${f(s.energy_j_per_token.dram, 4)}, ` +
      `compute ${f(s.energy_j_per_token.compute, 4)}, SRAM ${f(s.energy_j_per_token.sram, 4)}, link ${f(s.energy_j_per_token.link, 4)}); ${f(s.watts, 0)} W`,
    `  cost           $${f(s.usd_per_mtok, 3)} per million tokens; ${s.tokens_per_s_per_w_per_usd.toExponential(3)} tokens/s per W per $`,
    "",
    histogram(r.latencies),
  ];
  return `${lines.join("\n")}\n`;
}

interface GpuTraceFlags {
  readonly trace?: string;
  readonly traceRun?: number;
}

/** Traces run `index` again with the recorder on, writes the file, and says what it wrote. */
function traceNote(
  file: string,
  o: GpuCliOptions,
  s: GpuSetup,
  r: GpuCliResult,
  out: string,
  index: number,
): string {
  const t = traceGpuRun(s.runs, index, { model: file, gpu: r.preset.name, seed: o.seed });
  if (t.sample.ns / 1000 !== r.latencies[index])
    throw new Error(
      `internal error: the traced run ${index} took ${t.sample.ns} ns, the untraced one ${r.latencies[index]! * 1000} ns`,
    );
  writeTrace(out, t.trace);
  const events = t.trace.traceEvents.filter((e) => e.ph === "X").length;
  const threads = t.trace.traceEvents.filter((e) => e.name === "thread_name").length;
  return `wrote ${out}: run ${index} (${f(t.sample.ns / 1000)} us), ${events} events on ${threads} threads of ${o.gpus} GPU(s)\n`;
}

export function register(program: Command): void {
  program
    .command("gpu")
    .description(
      "simulate a model on the dynamically scheduled GPU/HBM baseline: latency distribution, tokens/s, J/token, $/Mtok",
    )
    .argument("<file>", "a .model file")
    .option("--gpu <name>", `GPU preset (${Object.keys(GPU_PRESETS).sort().join(", ")})`, "h100-sxm")
    .option("--gpus <n>", "GPUs in tensor parallel over NVLink (1-8)", parsePositiveInt("--gpus"), 1)
    .option("--runs <k>", "runs to sample", parsePositiveInt("--runs"), 100)
    .option("--seed <s>", "seed of run 0 (each run derives its own)", parseSeed, 1)
    .option(
      "--concurrency <c>",
      "mean requests in flight, batched continuously",
      parsePositiveInt("--concurrency"),
      1,
    )
    .option("--background <f>", "co-tenant HBM traffic as a share of peak bandwidth", parseBackground, 0)
    .option("--cuda-graph", "launch the pass as one CUDA graph", false)
    .option(
      "--moe <layout>",
      "MoE experts over the GPUs: tensor (each GPU holds 1/N of every expert) or expert (E/N whole experts each)",
      parseMoe,
      "tensor",
    )
    .option(
      "--threads <n>",
      "worker threads for the runs (default: one per core; results do not depend on it)",
      parsePositiveInt("--threads"),
    )
    .option("--set <k=v>", "override a model constant (repeatable)", collectSet, {})
    .option("--gpu-set <k=v>", "override a GPU preset setting (repeatable; see below)", collectSet, {})
    .option("--cost-set <k=v>", "override an energy or cost setting (repeatable; see below)", collectSet, {})
    .option("--json", "print JSON", false)
    .option("--trace <file>", "also write one run's timeline as a Chrome trace (Perfetto, chrome://tracing)")
    .option("--trace-run <i>", "which run to trace, 0 to runs - 1 (default 0)", parseSeed)
    .addHelpText(
      "after",
      `\nThe trace (--trace) shows run I (--trace-run) simulated again with the engine's recorder on, the same run to
the nanosecond: one process per GPU, with threads Host (kernel launches), Kernels, SMs in four groups (a kernel's
blocks on those SMs, merged), HBM channels in four groups (busy periods), and NVLink (collectives), and counters
of HBM and NVLink bytes. Example:
  lpu gpu programs/tiny-gpt.model --gpus 2 --runs 20 --trace out/tiny-gpt.gpu.trace.json --trace-run 3
\nGPU settings (--gpu-set):\n${Object.entries(GPU_SETTINGS)
        .map(([k, v]) => `  ${k.padEnd(22)} ${v.doc}`)
        .join("\n")}\n\nEnergy and cost settings (--cost-set):\n${Object.entries(COST_SETTINGS)
        .map(([k, v]) => `  ${k.padEnd(22)} ${v.doc}`)
        .join("\n")}\n`,
    )
    .action(
      action(async (file: string, opts: GpuCliOptions & GpuTraceFlags & { json: boolean }) => {
        if (opts.traceRun !== undefined && opts.trace === undefined)
          throw new UserError("--trace-run says which run to trace: give --trace FILE too");
        const traceRun = opts.traceRun ?? 0;
        if (traceRun >= opts.runs)
          throw new UserError(
            `--trace-run ${traceRun} is not one of the ${opts.runs} runs (0 to ${opts.runs - 1})`,
          );
        const s = gpuSetup(file, opts);
        const r = result(s, await simulateRunsOnThreads(s.runs, opts.threads ?? defaultThreads()));
        const note = opts.trace === undefined ? "" : traceNote(file, opts, s, r, opts.trace, traceRun);
        if (opts.json) {
          process.stdout.write(
            stableJson({
              model: file,
              gpu: r.preset.name,
              seed: opts.seed,
              concurrency: opts.concurrency,
              ...r.summary,
            }),
          );
          if (note) process.stderr.write(note);
          return;
        }
        process.stdout.write(printText(file, opts, r) + note);
      }),
    );
}
