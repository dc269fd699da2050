// The evaluation module `lpu sweep` hands to its worker threads (see compiler/sweep/evaluation.ts): a combination
// whose target is "lpu" is compiled (and simulated when small), one whose target is "gpu" runs on the GPU baseline.
import type { Outcome } from "../../compiler/sweep/evaluation.ts";
import type { Combination } from "../../compiler/sweep/grid.ts";
import type { SweepContext } from "./context.ts";
import { evaluateGpu } from "./gpu.ts";
import { evaluateLpu } from "./lpu.ts";

export const TARGETS = ["lpu", "gpu"] as const;
export type Target = (typeof TARGETS)[number];

export const EVALUATE_URL = import.meta.url;

export function evaluate(c: Combination, context: unknown): Outcome {
  const ctx = context as SweepContext;
  const target = c.target as Target;
  switch (target) {
    case "lpu":
      return evaluateLpu(c, ctx);
    case "gpu":
      return evaluateGpu(c, ctx);
    default:
      throw new Error(`internal error: unknown sweep target '${c.target}'`);
  }
}
