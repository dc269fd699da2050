// `lpu compare FILE.model`: the same model on LPU chips (compiled, then simulated once per clock-drift seed) and on
// GPUs (the GPU/HBM baseline, K seeded runs); prints a side-by-side table (latency distribution, tokens/s, J/token,
// $/Mtok, tokens/s per W per $) and both latency histograms on one axis, or --json; `--report FILE.html` also writes
// all of it, with the LPU schedule's Gantt chart, as one self-contained page. Exit 1 if the LPU's runs differ.
import { type Command, InvalidArgumentError } from "commander";
import { GPU_SETTINGS } from "../../arch/gpu/derive.ts";
import { GPU_PRESETS } from "../../arch/gpu/presets.ts";
import type { RunResult } from "../../simulator/lpu/results.ts";
import { sharedHistogram } from "../../simulator/report/compare/histogram.ts";
import { type LpuSummary, lpuActivity, summarizeLpu } from "../../simulator/report/compare/lpu-summary.ts";
import { compareTable, num } from "../../simulator/report/compare/table.ts";
import { COST_SETTINGS, deriveCost } from "../../simulator/report/cost/derive.ts";
import type { ReportData } from "../../simulator/report/html/data.ts";
import { UserError } from "../../util/diagnostics.ts";
import { action, collectSet, parsePositiveInt, reportDiagnostics, stableJson } from "../common.ts";
import {
  compareReport,
  costSplitOf,
  GANTT_CYCLES,
  type ReportInput,
  writeReport,
} from "../pipeline/compare-report.ts";
import { splitCostSets } from "../pipeline/cost-sets.ts";
import { clockSeeds, compileAndSimulate, type LpuCompiled } from "../pipeline/lpu.ts";
import { type GpuCliOptions, type GpuCliResult, gpuSetup, runGpuSetup } from "./gpu.ts";

/** The GPU side's flags plus the LPU side's (compare does not offer --moe or --threads). */
export interface CompareOptions extends Omit<GpuCliOptions, "moe" | "threads"> {
  readonly chips: number;
  readonly arch: string;
  readonly archSet: Record<string, string>;
  readonly json: boolean;
  readonly report?: string;
}

interface Compared {
  readonly lpu: LpuSummary;
  /** Each LPU run's latency, us, in run order. */
  readonly lpuLatencies: readonly number[];
  readonly lpuArch: string;
  readonly predictedCycles: number;
  /** The model's own MACs per pass (the compiler's count, no padding), beside what the arrays switched. */
  readonly usefulMacs: number;
  readonly gpu: GpuCliResult;
  readonly compiled: LpuCompiled;
  /** The first LPU run's full result, and its clock seed (for the report). */
  readonly first: RunResult;
  readonly firstSeed: number;
  readonly lpuCostSplit: { readonly capexUsdPerMtok: number; readonly energyUsdPerMtok: number };
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff || value.trim() === "")
    throw new InvalidArgumentError("takes a whole number from 0 to 4294967295");
  return n;
}

function parseBackground(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1 || value.trim() === "")
    throw new InvalidArgumentError("takes a share of HBM bandwidth from 0 up to (not including) 1");
  return n;
}

function runBoth(file: string, o: CompareOptions): Compared {
  const costs = splitCostSets(o.costSet);
  const lpuCost = deriveCost("lpu", costs.lpu);
  reportDiagnostics(lpuCost.diagnostics);
  // The GPU side is set up first: a model that does not fit the GPUs' HBM (LPU7008) stops before the LPU compile.
  const gpuSide = gpuSetup(file, {
    gpu: o.gpu,
    gpus: o.gpus,
    runs: o.runs,
    seed: o.seed,
    concurrency: o.concurrency,
    background: o.background,
    cudaGraph: o.cudaGraph,
    set: o.set,
    gpuSet: o.gpuSet,
    costSet: costs.gpu,
  });
  // The LPU runs one fixed batch per compiled program: with --concurrency C it is compiled at batch = C, and every
  // pass serves C requests in the same cycles. (Waiting for a batch to fill is modelled on neither side.)
  const set = o.concurrency > 1 ? { ...o.set, batch: String(o.concurrency) } : o.set;
  const seeds = clockSeeds(o.seed, o.runs);
  const { compiled, samples, first } = compileAndSimulate(
    file,
    { chips: o.chips, arch: o.arch, archSet: o.archSet, set },
    seeds,
  );
  const g = compiled.graph;
  if (o.concurrency > 1 && g.constants.batch === undefined)
    throw new UserError(`--concurrency needs a 'const batch' in ${file} to batch requests`);
  const lpuInput = {
    samples,
    chips: compiled.program.chips.length,
    clockMHz: compiled.machine.clockMHz,
    batch: g.constants.batch ?? 1,
    seq: g.constants.seq ?? 1,
    cost: lpuCost.model!,
  };
  const lpu = summarizeLpu(lpuInput);
  const gpu = runGpuSetup(gpuSide);
  return {
    compiled,
    first,
    firstSeed: seeds[0]!,
    lpuCostSplit: costSplitOf(lpuActivity(lpuInput), lpuCost.model!),
    lpu,
    lpuLatencies: samples.map((x) => x.cycles / compiled.machine.clockMHz),
    lpuArch: compiled.machine.name,
    predictedCycles: compiled.report.cycles,
    // The model's multiply-adds (compiler/schedule/model-work.ts): its matmuls, attention's products over the
    // keys each query sees, an moe's chosen experts; no padding, none of this compiler's own products.
    usefulMacs: compiled.report.flops / 2,
    gpu,
  };
}

function json(file: string, o: CompareOptions, c: Compared): string {
  return stableJson({
    model: file,
    seed: o.seed,
    concurrency: o.concurrency,
    lpu: {
      ...c.lpu,
      arch: c.lpuArch,
      chips_requested: o.chips,
      predicted_cycles: c.predictedCycles,
      useful_macs_per_run: c.usefulMacs,
    },
    gpu: { ...c.gpu.summary, preset: c.gpu.preset.name, background: o.background },
  });
}

/** The report's input from the same runs the table shows. */
function reportInput(file: string, o: CompareOptions, c: Compared): ReportInput {
  const l = c.lpu;
  const det = l.cycles.identical
    ? `${l.cycles.distinct[0]!.toLocaleString("en-US")} cycles in all ${l.runs} runs (one clock-drift seed each)`
    : `DIFFERENT: ${l.cycles.distinct.join(", ")} cycles`;
  const conditions = [
    { label: "runs", value: `${o.runs} per machine, seed ${o.seed}` },
    {
      label: "concurrency",
      value: `${o.concurrency} (LPU batch ${l.batch}, GPU mean batch ${num(c.gpu.summary.batch_mean)})`,
    },
    { label: "LPU", value: `${l.chips} chip(s) of ${c.lpuArch} (${o.chips} requested), ${det}` },
    {
      label: "GPU",
      value:
        `${o.gpus} x ${c.gpu.preset.name}, ${c.gpu.kernels} kernels per GPU` +
        `${o.background > 0 ? `, background ${o.background}` : ""}${o.cudaGraph ? ", CUDA graph" : ""}`,
    },
  ];
  return {
    file,
    modelName: c.compiled.graph.name,
    conditions,
    lpu: {
      label: `LPU · ${l.chips} × ${c.lpuArch}`,
      latenciesUs: c.lpuLatencies,
      summary: l,
      costSplit: c.lpuCostSplit,
    },
    gpu: {
      label: `GPU · ${o.gpus} × ${c.gpu.preset.name}`,
      latenciesUs: c.gpu.latencies,
      summary: c.gpu.summary,
      costSplit: c.gpu.costSplit,
    },
    program: c.compiled.program,
    machine: c.compiled.machine,
    seed: c.firstSeed,
    first: c.first,
  };
}

/** What `--report` renders, for these options: both machines run as the command runs them. */
export function compareReportData(file: string, o: CompareOptions): ReportData {
  return compareReport(reportInput(file, o, runBoth(file, o)));
}

function text(file: string, o: CompareOptions, c: Compared): string {
  const l = c.lpu;
  const lpuLabel = `LPU ${l.chips} x ${c.lpuArch}`;
  const gpuLabel = `GPU ${o.gpus} x ${c.gpu.preset.name}`;
  const det = l.cycles.identical
    ? `${l.cycles.distinct[0]} cycles in every one of ${l.runs} runs (${l.runs} clock-drift seeds): identical`
    : `DIFFERENT cycle counts over ${l.runs} runs: ${l.cycles.distinct.join(", ")} (a bug: see below)`;
  const a = l.activity_per_run;
  const macs = Object.entries(a.macs)
    .map(([d, n]) => `${num(n)} ${d} MACs`)
    .join(", ");
  const lines = [
    `${file}: ${l.runs} runs each, seed ${o.seed}, concurrency ${o.concurrency}` +
      `${o.background > 0 ? `, GPU background ${o.background}` : ""}${o.cudaGraph ? ", CUDA graph" : ""}`,
    `  LPU  ${l.chips} chip(s) of ${c.lpuArch} (${o.chips} requested), batch ${l.batch}: ${det}`,
    ...(l.chips > 1
      ? [
          `       deskew pause ${num(l.deskew_pause_cycles.min)} to ${num(l.deskew_pause_cycles.max)} global cycles ` +
            "(aligning the chips' clocks at launch; not in the cycles above)",
        ]
      : []),
    `  GPU  ${o.gpus} x ${c.gpu.preset.name}, ${c.gpu.kernels} kernels per GPU, mean batch ${num(c.gpu.summary.batch_mean)}`,
    "",
    compareTable(lpuLabel, l, gpuLabel, c.gpu.summary),
    "",
    "latency histograms, one axis:",
    sharedHistogram(
      { label: lpuLabel, samples: c.lpuLatencies },
      { label: gpuLabel, samples: c.gpu.latencies },
    ),
    "",
    "LPU energy, from the instructions the simulator issued in a run:",
    `  ${macs || "no MACs"} (each ABC vector through the full array; the model itself needs ${num(c.usefulMacs)}),`,
    `  ${num(a.sram_bytes)} SRAM bytes (read/write vectors x 320 B), ${num(a.link_bytes)} link bytes (send vectors),`,
    `  ${num(a.vector_ops)} VXM lane ops; plus static power (a share of TDP) over the run's time.`,
    "GPU energy: its kernels' MACs and L2, HBM and NVLink bytes in the same model (simulator/report/cost).",
  ];
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("compare")
    .description(
      "compare a model on LPU chips and on GPUs: latency distribution, tokens/s, J/token, $/Mtok, tokens/s per W per $",
    )
    .argument("<file>", "a .model file the LPU compiler can compile")
    .option("--chips <n>", "LPU chips to compile for", parsePositiveInt("--chips"), 1)
    .option("--arch <name>", "LPU machine preset", "tsp-v1")
    .option("--arch-set <key=value>", "change an LPU machine parameter (repeatable)", collectSet, {})
    .option("--gpu <name>", `GPU preset (${Object.keys(GPU_PRESETS).sort().join(", ")})`, "h100-sxm")
    .option("--gpus <n>", "GPUs in tensor parallel over NVLink (1-8)", parsePositiveInt("--gpus"), 1)
    .option(
      "--runs <k>",
      "runs per machine (LPU: one clock-drift seed each)",
      parsePositiveInt("--runs"),
      100,
    )
    .option("--seed <s>", "seed of the GPU runs and of the LPU clock seeds", parseSeed, 1)
    .option(
      "--concurrency <c>",
      "requests in flight: the GPU batches a Poisson number continuously; the LPU is compiled at batch = C",
      parsePositiveInt("--concurrency"),
      1,
    )
    .option("--background <f>", "GPU: co-tenant HBM traffic as a share of peak bandwidth", parseBackground, 0)
    .option("--cuda-graph", "GPU: launch the pass as one CUDA graph", false)
    .option("--set <k=v>", "override a model constant, both machines (repeatable)", collectSet, {})
    .option(
      "--gpu-set <k=v>",
      "override a GPU preset setting (repeatable; see lpu gpu --help)",
      collectSet,
      {},
    )
    .option(
      "--cost-set <k=v>",
      "override an energy or cost setting: KEY for both machines, lpu.KEY or gpu.KEY for one (repeatable)",
      collectSet,
      {},
    )
    .option("--json", 'print {"lpu": {...}, "gpu": {...}} as JSON', false)
    .option(
      "--report <file.html>",
      "also write a self-contained HTML report: table, histograms, the LPU schedule's Gantt chart, breakdown, energy and cost",
    )
    .addHelpText(
      "after",
      `
The LPU side is compiled once (timing only: no weights are generated) and simulated --runs times, each run with
its own chip clock drift and start offset; the distinct cycle counts are reported and must be one (exit 1 if not).
Latency = cycles at the preset clock. The GPU side is the baseline of 'lpu gpu' with the same seed and runs.

With --concurrency C the LPU is compiled at batch = C: every pass serves C requests with the same latency. The
GPU draws each run's batch from the requests in flight (Poisson, mean C). Neither side models waiting for a batch.

GPU settings (--gpu-set): ${Object.keys(GPU_SETTINGS).sort().join(", ")}
Energy and cost settings (--cost-set [lpu.|gpu.]KEY=VALUE):
${Object.entries(COST_SETTINGS)
  .map(([k, v]) => `  ${k.padEnd(18)} ${v.doc}`)
  .join("\n")}

Examples:
  lpu compare programs/mlp2.model --runs 50
  lpu compare programs/mlp2.model --gpus 8 --runs 200 --json
  lpu compare programs/mlp2.model --concurrency 4 --cost-set lpu.price_usd=15000
  lpu compare programs/mlp2.model --runs 50 --report out/mlp2.report.html

The report (--report) is one HTML file with no network access: open it in any browser. Its Gantt chart is the
compiled schedule's first ${GANTT_CYCLES} cycles on chip 0, from one more LPU run with the recorder on.`,
    )
    .action(
      action((file: string, opts: CompareOptions) => {
        const c = runBoth(file, opts);
        process.stdout.write(opts.json ? json(file, opts, c) : text(file, opts, c));
        if (opts.report !== undefined) {
          writeReport(opts.report, compareReport(reportInput(file, opts, c)));
          (opts.json ? process.stderr : process.stdout).write(`wrote ${opts.report}\n`);
        }
        if (!c.lpu.cycles.identical)
          throw new UserError(
            `BUG: the LPU's ${c.lpu.runs} runs took ${c.lpu.cycles.distinct.length} different cycle counts ` +
              `(${c.lpu.cycles.distinct.join(", ")}) under different clock seeds; a compiled schedule must not ` +
              "depend on the chips' clocks. Please report it with this command line.",
          );
        if (c.predictedCycles !== c.lpu.cycles.distinct[0])
          process.stderr.write(
            `lpu: warning: the compiler predicted ${c.predictedCycles} cycles, the simulator measured ` +
              `${c.lpu.cycles.distinct[0]} (the table uses the measurement)\n`,
          );
      }),
    );
}
