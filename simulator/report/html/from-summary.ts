// A machine's side of the report from the summary `lpu gpu --json` prints (simulator/gpu/summary.ts), or any
// object with the same snake_case fields (the LPU side of `lpu compare` uses the same energy and cost model),
// plus the raw per-run latencies the histogram needs (a summary keeps only percentiles).
import type { PerTokenFigures } from "../cost/per-token.ts";
import type { MachineSide } from "./data.ts";

/** The fields of a run summary the report reads (every summary carries them). */
export type SummaryFields = PerTokenFigures;

export function sideFromSummary(
  label: string,
  latencySamplesUs: readonly number[],
  s: SummaryFields,
  costSplit?: MachineSide["costSplit"],
): MachineSide {
  if (latencySamplesUs.length === 0) throw new Error("internal error: a machine side needs latency samples");
  return {
    label,
    latencySamplesUs,
    tokensPerSecond: { perUser: s.tokens_per_s.per_user, total: s.tokens_per_s.total },
    joulesPerToken: s.joules_per_token,
    usdPerMtok: s.usd_per_mtok,
    tokensPerSecPerWattPerUsd: s.tokens_per_s_per_w_per_usd,
    watts: s.watts,
    energyPerToken: { ...s.energy_j_per_token },
    ...(costSplit ? { costSplit } : {}),
  };
}
