// The packing's context for a kernel graph on tsp-v1's shape with no SRAM limit (tests of the packing's and the
// spread's estimates, where the chips' fill is not the point).
import type { KernelGraph } from "../../../compiler/passes/kernel-ir.ts";
import { type PackContext, packContext } from "../../../compiler/passes/pack.ts";

export function unlimitedPackContext(kernel: KernelGraph): PackContext {
  return packContext(
    kernel.ops,
    new Map(kernel.tensors.map((t) => [t.id, t])),
    kernel.outputs.map((o) => o.tensor),
    { lanes: 320, planes: 4, budget: 1e9, nodeChips: 8, chunkRows: 1024 },
  );
}
