// The contract between the sweep engine and what it sweeps: an evaluation module turns one combination into one
// outcome. The engine knows nothing of compilers or simulators; the module it is given (by URL, so that worker
// threads can load it) does.
// Contract: `evaluate` is deterministic (the same combination and context give the same outcome, so shards run on
// different machines agree); it reports a configuration that cannot work (does not fit, not supported) by
// returning `failed` or throwing a UserError; any other exception is a bug and becomes a `crashed` row.
import { UserError } from "../../util/diagnostics.ts";
import type { Combination } from "./grid.ts";

/** Figures of one evaluation, by metric column key. Numbers stay numbers until printed. */
export type Metrics = Readonly<Record<string, number | string>>;

/** A failed configuration may still carry the figures it knows (the chips it would need); a crash carries none. */
export type Outcome =
  | { readonly kind: "ok"; readonly metrics: Metrics }
  | { readonly kind: "failed"; readonly reason: string; readonly metrics?: Metrics }
  | { readonly kind: "crashed"; readonly reason: string };

/** The figures an outcome carries (none for a crash). */
export function metricsOf(o: Outcome): Metrics | undefined {
  return o.kind === "crashed" ? undefined : o.metrics;
}

/** What an evaluation module exports. `context` is the sweep's fixed settings (model file, seed ...), the same
 * structured-cloneable value for every combination; the module checks its shape. */
export interface EvaluationModule {
  evaluate(combination: Combination, context: unknown): Outcome | Promise<Outcome>;
}

export interface Result {
  readonly combination: Combination;
  readonly outcome: Outcome;
}

/** Runs one evaluation; a UserError is a configuration that does not work, anything else a crash (a bug). */
export async function safeEvaluate(m: EvaluationModule, c: Combination, context: unknown): Promise<Outcome> {
  try {
    return await m.evaluate(c, context);
  } catch (e) {
    if (e instanceof UserError) return { kind: "failed", reason: e.message };
    const err = e as Error;
    return { kind: "crashed", reason: `${err.name ?? "Error"}: ${err.message ?? String(e)}` };
  }
}
