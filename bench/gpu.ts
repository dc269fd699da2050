// The GPU baseline's speed: seconds for 1,000 runs of llama2-7b on one H100 (target: at most 10 s on a 2-core
// machine), on one thread and on one thread per core. Prints and returns figures; asserts nothing.
// Run alone: node --import tsx bench/gpu.ts [--runs K] [--model FILE] [--threads N]; or through bench/run.ts.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { deriveGpu } from "../arch/gpu/derive.ts";
import { loadModel } from "../compiler/frontend.ts";
import { lowerToKernels } from "../compiler/gpu/lower.ts";
import { prepare } from "../simulator/gpu/prepare.ts";
import { type RunSample, type RunsOptions, simulateRuns } from "../simulator/gpu/runs.ts";
import { defaultThreads, simulateRunsOnThreads } from "../simulator/gpu/threads.ts";
import { ENERGY_PRESETS } from "../simulator/report/cost/presets.ts";
import { distribution } from "../simulator/report/stats.ts";
import type { BenchResult } from "./result.ts";

interface Measured {
  readonly threads: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly samples: readonly RunSample[];
}

function setup(
  file: string,
  runs: number,
): { options: RunsOptions; prepareSeconds: number; requests: number } {
  const preset = deriveGpu("h100-sxm").preset!;
  const t0 = performance.now();
  const graph = loadModel(readFileSync(file, "utf8"), file).graph!;
  const plan = prepare(lowerToKernels(graph, { gpus: 1, sms: preset.sms }).kernels!, preset);
  const prepareSeconds = (performance.now() - t0) / 1000;
  const options: RunsOptions = {
    preset,
    energy: ENERGY_PRESETS["h100-sxm"]!,
    gpus: 1,
    runs,
    seed: 1,
    cudaGraph: false,
    background: 0,
    concurrency: 1,
    plans: () => plan,
  };
  return { options, prepareSeconds, requests: plan.reqBytes.length };
}

async function measure(options: RunsOptions, threads: number): Promise<Measured> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const samples = threads === 1 ? simulateRuns(options) : await simulateRunsOnThreads(options, threads);
  const cpu = process.cpuUsage(c0);
  return {
    threads,
    seconds: (performance.now() - t0) / 1000,
    // This process's CPU time: on several threads, the workers' time is included.
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    samples,
  };
}

function line(file: string, runs: number, m: Measured): string {
  const d = distribution(m.samples.map((s) => s.ns / 1000));
  return (
    `${file}, ${runs} runs on ${m.threads} thread${m.threads === 1 ? "" : "s"}: ${m.seconds.toFixed(2)} s wall, ` +
    `${m.cpuSeconds.toFixed(2)} s CPU (${((1000 * m.seconds) / runs).toFixed(2)} ms per run); ` +
    `latency us p50 ${d.p50.toFixed(1)}, p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(1)}`
  );
}

async function measureBoth(file: string, runs: number, threads: number) {
  const s = setup(file, runs);
  const one = await measure(s.options, 1);
  const many = threads > 1 ? await measure(s.options, threads) : undefined;
  if (many && JSON.stringify(many.samples) !== JSON.stringify(one.samples)) {
    throw new Error("internal error: runs on threads differ from runs on one thread");
  }
  return { ...s, one, many };
}

/** The harness entry (bench/run.ts). */
export async function bench(): Promise<BenchResult[]> {
  const file = "programs/llama2-7b.model";
  const runs = 1000;
  const r = await measureBoth(file, runs, defaultThreads());
  const out: BenchResult[] = [];
  for (const m of [r.one, r.many]) {
    if (!m) continue;
    process.stderr.write(`${line(file, runs, m)}\n`);
    out.push({
      name: `gpu: llama2-7b on 1 x h100-sxm, ${m.threads} thread${m.threads === 1 ? "" : "s"}`,
      compileSeconds: r.prepareSeconds,
      runs,
      runSeconds: m.seconds,
      note: `${r.requests} HBM requests per run; ${m.cpuSeconds.toFixed(2)} s CPU`,
    });
  }
  return out;
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"));
if (isMain) {
  const { values } = parseArgs({
    options: { runs: { type: "string" }, model: { type: "string" }, threads: { type: "string" } },
  });
  const file = values.model ?? "programs/llama2-7b.model";
  const runs = Number(values.runs ?? 1000);
  const threads = Number(values.threads ?? defaultThreads());
  const r = await measureBoth(file, runs, threads);
  console.log(
    `${file}: ${r.requests} HBM requests per run; load + lower + prepare ${r.prepareSeconds.toFixed(2)} s`,
  );
  console.log(line(file, runs, r.one));
  if (r.many) console.log(line(file, runs, r.many));
}
