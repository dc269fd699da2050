// The model benchmarks: tiny-gpt, llama2-7b on the fewest chips that hold it, llama2-70b on 576 chips
// (decode, ctx 4096, batch 1) with 8-bit weights (its 138 GB of fp16 weights cannot fit 576 chips of 220 MiB,
// 132.9 GB: the fp16 model runs on the fewest chips that hold it instead), and llama2-70b cut to 1, 2, 4, 8, 16
// and 32 layers to show how compile and simulate times grow with the instruction count; the stamped cases
// (`--partition layers`) show the compile staying flat in the layer count. Each case runs in its own
// process (bench/model-case.ts), so its peak memory is its own. A case the compiler cannot do yet reports the
// compiler's message instead of figures.
import type { ModelCase } from "./model-case.ts";
import type { BenchResult } from "./result.ts";
import { runTsx } from "./spawn.ts";

const decode4096 = { ctx: "4096", batch: "1", seq: "1" };

export const MODEL_CASES: readonly ModelCase[] = [
  // Not one of the cases: a model the back end compiles today, so the harness shows live figures.
  { name: "mlp2, 1 chip", file: "programs/mlp2.model", sets: {}, chips: 1 },
  { name: "tiny-gpt", file: "programs/tiny-gpt.model", sets: {}, chips: "fewest" },
  { name: "llama2-7b, fewest chips", file: "programs/llama2-7b.model", sets: {}, chips: "fewest" },
  // The case, with the partition that schedules one unit of layers and stamps it (docs/compiler.md,
  // "Stamping repeated layers"): 576 chips force units of 4 layers on 3 nodes.
  {
    name: "llama2-70b fp8 weights, 576 chips, decode ctx 4096 batch 1, --partition layers",
    file: "programs/llama2-70b-fp8.model",
    sets: decode4096,
    chips: 576,
    partition: "layers",
  },
  // The same model with a node per layer (656 chips, more than the 576): units of one layer.
  {
    name: "llama2-70b fp8 weights, 656 chips, decode ctx 4096 batch 1, --partition layers",
    file: "programs/llama2-70b-fp8.model",
    sets: decode4096,
    chips: 656,
    partition: "layers",
  },
  {
    name: "llama2-70b fp16, fewest chips, decode ctx 4096 batch 1",
    file: "programs/llama2-70b.model",
    sets: decode4096,
    chips: "fewest",
  },
  // Stamped: the compile schedules two units of layers whatever the count; the program still holds every layer.
  ...[8, 32].map(
    (layers): ModelCase => ({
      name: `llama2-70b fp8, ${layers} layers, decode ctx 4096, 656 chips, --partition layers`,
      file: "programs/llama2-70b-fp8.model",
      sets: { ...decode4096, layers: String(layers) },
      chips: 656,
      partition: "layers",
    }),
  ),
  ...[1, 2, 4, 8, 16, 32].map(
    (layers): ModelCase => ({
      name: `llama2-70b, ${layers} layer${layers === 1 ? "" : "s"}, decode ctx 4096, fewest chips`,
      file: "programs/llama2-70b.model",
      sets: { ...decode4096, layers: String(layers) },
      chips: "fewest",
    }),
  ),
];

/** Wall-clock seconds a case may run before it is stopped and reported as such (BENCH_CASE_LIMIT_S). */
const DEFAULT_CASE_LIMIT_S = 900;

/** Cases whose name contains BENCH_CASE (when set) run; the others are skipped. */
export async function bench(): Promise<BenchResult[]> {
  const filter = process.env.BENCH_CASE;
  const limitS = Number(process.env.BENCH_CASE_LIMIT_S ?? DEFAULT_CASE_LIMIT_S);
  const out: BenchResult[] = [];
  for (const c of MODEL_CASES) {
    if (filter && !c.name.includes(filter)) continue;
    process.stderr.write(`  ${c.name} ...\n`);
    const r = await runTsx("bench/model-case.ts", [JSON.stringify(c)], limitS);
    // A crash, running out of memory or the time limit is a result worth printing, not a reason to stop the other cases.
    if (r.failure) out.push({ name: c.name, note: `the case's process ${r.failure}` });
    else out.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as BenchResult);
  }
  return out;
}
