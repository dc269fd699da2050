// Seconds for 1,000 runs of llama2-7b on one H100 (target: at most 10 s on a 2-core machine). Prints; asserts nothing.
// Run: npx tsx bench/gpu.ts [runs] [model]
import { readFileSync } from "node:fs";
import { deriveGpu } from "../arch/gpu/derive.ts";
import { loadModel } from "../compiler/frontend.ts";
import { lowerToKernels } from "../compiler/gpu/lower.ts";
import { prepare } from "../simulator/gpu/prepare.ts";
import { simulateRuns } from "../simulator/gpu/runs.ts";
import { ENERGY_PRESETS } from "../simulator/report/cost/presets.ts";
import { distribution } from "../simulator/report/stats.ts";

const runs = Number(process.argv[2] ?? 1000);
const file = process.argv[3] ?? "programs/llama2-7b.model";
const preset = deriveGpu("h100-sxm").preset!;
const t0 = performance.now();
const graph = loadModel(readFileSync(file, "utf8"), file).graph!;
const list = lowerToKernels(graph, { gpus: 1, sms: preset.sms }).kernels!;
const plan = prepare(list, preset);
const t1 = performance.now();
const c1 = process.cpuUsage();
const samples = simulateRuns({
  preset,
  energy: ENERGY_PRESETS["h100-sxm"]!,
  gpus: 1,
  runs,
  seed: 1,
  cudaGraph: false,
  background: 0,
  concurrency: 1,
  plans: () => plan,
});
const t2 = performance.now();
const cpu = process.cpuUsage(c1);
const d = distribution(samples.map((s) => s.ns / 1000));
console.log(`${file}: ${list.kernels.length} kernels, ${plan.reqBytes.length} HBM requests per run`);
console.log(`load + lower + prepare: ${((t1 - t0) / 1000).toFixed(2)} s`);
console.log(
  `${runs} runs: ${((t2 - t1) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU ` +
    `(${((t2 - t1) / runs).toFixed(2)} ms per run)`,
);
console.log(`latency us: p50 ${d.p50.toFixed(1)}, p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(1)}`);
