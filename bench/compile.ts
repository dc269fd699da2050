// Compiler benchmarks: compile time and peak memory as the instruction count grows, on llama2-7b cut to 1, 2, 4
// and 8 layers (decode; 576 chips given, the partitioner takes as many as pay: one pipeline stage group per
// layer), plus a batch-64 single-chip deep MLP (many single-vector reads, the MXM's spaced operands). Each case runs
// in its own process (bench/compile-case.ts) so its peak memory is its own; the note gives CPU seconds (the
// machine may be shared) and microseconds per instruction, so growth per instruction can be read off directly.
import type { BenchResult } from "./result.ts";
import { runTsx } from "./spawn.ts";

const CASES: readonly { name: string; file: string; chips: number; sets: readonly string[] }[] = [
  ...[1, 2, 4, 8].map((layers) => ({
    name: `llama2-7b, ${layers} layer${layers === 1 ? "" : "s"}, 576 chips given`,
    file: "programs/llama2-7b.model",
    chips: 576,
    sets: [`layers=${layers}`],
  })),
  {
    name: "deep-mlp d=2048 batch 64, 16 layers, 1 chip",
    file: "bench/models/deep-mlp.model",
    chips: 1,
    sets: ["d=2048", "layers=16", "batch=64"],
  },
];

export async function bench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const c of CASES) {
    process.stderr.write(`  ${c.name} ...\n`);
    const r = await runTsx("bench/compile-case.ts", [c.file, String(c.chips), ...c.sets]);
    if (r.failure) out.push({ name: c.name, note: `the case's process ${r.failure}` });
    else out.push({ ...(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as BenchResult), name: c.name });
  }
  return out;
}
