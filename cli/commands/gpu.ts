// `lpu gpu FILE.model`: lower the model to GPU kernels, simulate K runs on the GPU/HBM baseline, print the latency
// distribution, tokens per second, energy and cost (a table and a histogram, or --json).
import { type Command, InvalidArgumentError } from "commander";
import { deriveGpu, GPU_SETTINGS } from "../../arch/gpu/derive.ts";
import { GPU_PRESETS, type GpuPreset } from "../../arch/gpu/presets.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { lowerToKernels } from "../../compiler/gpu/lower.ts";
import { type PreparedPlan, prepare } from "../../simulator/gpu/prepare.ts";
import { type RunSample, type RunsOptions, simulateRuns } from "../../simulator/gpu/runs.ts";
import { type GpuSummary, summarize } from "../../simulator/gpu/summary.ts";
import { defaultThreads, simulateRunsOnThreads } from "../../simulator/gpu/threads.ts";
import { COST_SETTINGS, type CostModel, deriveCost } from "../../simulator/report/cost/derive.ts";
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
  /** Worker threads for the runs (runGpuOnThreads); the samples do not depend on it. */
  readonly threads?: number;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("takes a whole number >= 0");
  return n;
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
}

/** The runs' options (with a plan per batch, lowered and prepared once each) and the cost model. */
function setup(
  file: string,
  o: GpuCliOptions,
): { runs: RunsOptions; model: CostModel; kernels: () => number } {
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
    const lowered = lowerToKernels(loaded.graph!, { gpus: o.gpus, sms: preset.sms });
    reportDiagnostics(lowered.diagnostics);
    kernels = lowered.kernels!.kernels.length;
    const plan = prepare(lowered.kernels!, preset);
    cache.set(batch, plan);
    return plan;
  };
  // Batch 1 first: its errors come before any run, and its kernel count is the one printed.
  plans(1);
  const first = kernels;
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

function result(s: ReturnType<typeof setup>, samples: readonly RunSample[]): GpuCliResult {
  return {
    summary: summarize(samples, s.runs.gpus, s.model),
    preset: s.runs.preset,
    kernels: s.kernels(),
    requestBytes: s.runs.plans(1).requestBytes,
    latencies: samples.map((x) => x.ns / 1000),
  };
}

/** Everything `lpu gpu` and `lpu compare` need, on this thread: load, lower per batch, prepare, simulate, summarise. */
export function runGpu(file: string, o: GpuCliOptions): GpuCliResult {
  const s = setup(file, o);
  return result(s, simulateRuns(s.runs));
}

/** As runGpu, with the runs spread over `o.threads` worker threads (default: one per core); the same result. */
export async function runGpuOnThreads(file: string, o: GpuCliOptions): Promise<GpuCliResult> {
  const s = setup(file, o);
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
      `${o.background > 0 ? `, background ${o.background}` : ""}${o.cudaGraph ? ", CUDA graph" : ""}`,
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
      "--threads <n>",
      "worker threads for the runs (default: one per core; results do not depend on it)",
      parsePositiveInt("--threads"),
    )
    .option("--set <k=v>", "override a model constant (repeatable)", collectSet, {})
    .option("--gpu-set <k=v>", "override a GPU preset setting (repeatable; see below)", collectSet, {})
    .option("--cost-set <k=v>", "override an energy or cost setting (repeatable; see below)", collectSet, {})
    .option("--json", "print JSON", false)
    .addHelpText(
      "after",
      `\nGPU settings (--gpu-set):\n${Object.entries(GPU_SETTINGS)
        .map(([k, v]) => `  ${k.padEnd(22)} ${v.doc}`)
        .join("\n")}\n\nEnergy and cost settings (--cost-set):\n${Object.entries(COST_SETTINGS)
        .map(([k, v]) => `  ${k.padEnd(22)} ${v.doc}`)
        .join("\n")}\n`,
    )
    .action(
      action(async (file: string, opts: GpuCliOptions & { json: boolean }) => {
        const r = await runGpuOnThreads(file, opts);
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
          return;
        }
        process.stdout.write(printText(file, opts, r));
      }),
    );
}
