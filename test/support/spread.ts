// A small model text compiled under the `spread` partition, with the partition it chose. In: the model's text, a
// file name for messages, a machine and a chip count; out: the graph, compile()'s result and the partitioned kernel.
import type { Machine } from "../../arch/machine.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { partition } from "../../compiler/passes/partition.ts";
import { initialSources } from "../../compiler/reference/init.ts";

export function compileSpread(text: string, file: string, m: Machine, chips: number) {
  const graph = loadModel(text, file).graph!;
  const r = compile(graph, m, { chips, file, partition: "spread", sources: initialSources(graph, 0) });
  const p = partition(r.kernel!, m, chips, file, "spread").partitioned;
  return { graph, r, p };
}
