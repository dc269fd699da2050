// Compiler benchmarks: compile time and peak memory as the instruction count grows, on a deep MLP
// (bench/models/deep-mlp.model, 4096 x 4096 layers: the matmul shape of a transformer layer) cut into pipeline
// stages over as many chips as it needs, 8 to 64 layers; plus a batch-64 single-chip case (many single-vector
// reads). Each case runs in its own process (bench/compile-case.ts). Stand-ins until the transformer lowerings
// land: bench/models.ts has the llama cases.
import type { BenchResult } from "./result.ts";
import { runTsx } from "./spawn.ts";

const FILE = "bench/models/deep-mlp.model";
const CASES: readonly { name: string; chips: number; sets: readonly string[] }[] = [
  {
    name: "deep-mlp d=2048 batch 64, 16 layers, 1 chip",
    chips: 1,
    sets: ["d=2048", "layers=16", "batch=64"],
  },
  ...[8, 16, 32, 64].map((layers) => ({
    name: `deep-mlp d=4096, ${layers} layers, pipeline stages`,
    chips: 576,
    sets: ["d=4096", `layers=${layers}`],
  })),
];

export async function bench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const c of CASES) {
    process.stderr.write(`  ${c.name} ...\n`);
    const r = await runTsx("bench/compile-case.ts", [FILE, String(c.chips), ...c.sets]);
    if (r.failure) out.push({ name: c.name, note: `the case's process ${r.failure}` });
    else out.push({ ...(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as BenchResult), name: c.name });
  }
  return out;
}
