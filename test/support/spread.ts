// Setups of the spread's tests: a small model text compiled under the `spread` partition with the partition it
// chose (compileSpread), and one llama2-70b-fp8 layer decomposed with its pack context (fp8Layer).
import { readFileSync } from "node:fs";
import type { Machine } from "../../arch/machine.ts";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile, gatherRows } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { decompose } from "../../compiler/passes/decompose.ts";
import { packContext } from "../../compiler/passes/pack.ts";
import { partition, usableBytesPerChip } from "../../compiler/passes/partition.ts";
import { initialSources } from "../../compiler/reference/init.ts";

export function compileSpread(text: string, file: string, m: Machine, chips: number) {
  const graph = loadModel(text, file).graph!;
  const r = compile(graph, m, { chips, file, partition: "spread", sources: initialSources(graph, 0) });
  // A configuration that does not compile fails here with the compiler's diagnostics (LPU5001's fewest chips, an
  // LPU5003 limit), not with partition reading the missing kernel.
  if (!r.kernel)
    throw new Error(`${file} did not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  const p = partition(r.kernel, m, chips, file, "spread").partitioned;
  return { graph, r, p };
}

/** One llama2-70b-fp8 layer (ctx 320) decomposed for tsp-v1, with the pack context the spread weighs its ops in. */
export function fp8Layer() {
  const file = "programs/llama2-70b-fp8.model";
  const graph = loadModel(readFileSync(file, "utf8"), file, { layers: "1", ctx: "320" }).graph!;
  const kernel = decompose(graph, file, { gatherRows: gatherRows(TSP_V1) }).kernel;
  const ctx = packContext(
    kernel.ops,
    new Map(kernel.tensors.map((t) => [t.id, t])),
    kernel.outputs.map((o) => o.tensor),
    { lanes: TSP_V1.lanes, planes: 4, budget: usableBytesPerChip(TSP_V1), nodeChips: 8, chunkRows: 320 },
  );
  return { file, kernel, ctx };
}
