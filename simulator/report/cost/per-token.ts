// What one machine's run costs per token: the fields every run summary shares (`lpu gpu --json`, the LPU side of
// `lpu compare`, the HTML report's columns). One declaration and one computation, so they cannot drift apart.
import type { Activity, CostReport, EnergyReport } from "./model.ts";

export interface PerTokenFigures {
  readonly tokens_per_s: { readonly per_user: number; readonly total: number };
  readonly joules_per_token: number;
  readonly usd_per_mtok: number;
  readonly tokens_per_s_per_w_per_usd: number;
  readonly watts: number;
  readonly energy_j_per_token: {
    readonly compute: number;
    readonly sram: number;
    readonly dram: number;
    readonly link: number;
    readonly static: number;
  };
}

/**
 * The per-token figures of one machine's runs: `activity` summed over the runs, `tokensPerUser` the tokens one user
 * gets from a pass, `meanLatencyUs` a pass's mean latency.
 */
export function perTokenFigures(
  activity: Activity,
  energy: EnergyReport,
  cost: CostReport,
  tokensPerUser: number,
  meanLatencyUs: number,
): PerTokenFigures {
  const per = (j: number) => j / activity.tokens;
  return {
    tokens_per_s: { per_user: (tokensPerUser * 1e6) / meanLatencyUs, total: cost.tokensPerSecond },
    joules_per_token: energy.joulesPerToken,
    usd_per_mtok: cost.usdPerMtok,
    tokens_per_s_per_w_per_usd: cost.tokensPerSecPerWattPerUsd,
    watts: energy.watts,
    energy_j_per_token: {
      compute: per(energy.joules.compute),
      sram: per(energy.joules.sram),
      dram: per(energy.joules.dram),
      link: per(energy.joules.link),
      static: per(energy.joules.static),
    },
  };
}
