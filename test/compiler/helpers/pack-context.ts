// The packing's context for a kernel graph on tsp-v1's shape: with a chip's SRAM budget given, or with no SRAM limit
// (tests of the packing's and the spread's estimates, where the chips' fill is not the point).
import type { KernelGraph } from "../../../compiler/passes/kernel-ir.ts";
import { type PackContext, packContext } from "../../../compiler/passes/pack.ts";

export function budgetPackContext(kernel: KernelGraph, budget: number): PackContext {
  return packContext(
    kernel.ops,
    new Map(kernel.tensors.map((t) => [t.id, t])),
    kernel.outputs.map((o) => o.tensor),
    { lanes: 320, planes: 4, budget, nodeChips: 8, chunkRows: 1024 },
  );
}

export function unlimitedPackContext(kernel: KernelGraph): PackContext {
  return budgetPackContext(kernel, 1e9);
}
