// Activity counts -> joules and dollars: the one energy and cost model both machines use. It takes plain numbers
// (no simulator types), so the LPU side can call it as the GPU side does.
// Guarantees: dynamic energy and static energy are reported apart; every output is finite for positive inputs.
import { type CostPreset, type EnergyPreset, nodeScale } from "./presets.ts";

export interface Activity {
  /** Multiply-accumulates by input type. */
  readonly macs: Readonly<Partial<Record<"int8" | "fp8" | "fp16" | "bf16" | "fp32", number>>>;
  readonly vectorOps: number;
  readonly sramBytes: number;
  readonly dramBytes: number;
  readonly linkBytes: number;
  /** Wall-clock seconds the chips were busy, and how many chips. */
  readonly seconds: number;
  readonly chips: number;
  readonly tokens: number;
}

export interface EnergyReport {
  readonly joules: {
    readonly compute: number;
    readonly sram: number;
    readonly dram: number;
    readonly link: number;
    readonly static: number;
    readonly total: number;
  };
  readonly joulesPerToken: number;
  readonly tokensPerJoule: number;
  /** Average power of all chips while busy. */
  readonly watts: number;
}

export interface CostReport {
  readonly usdPerMtok: number;
  /** Of which capital (price amortised over the busy share of its life) and electricity. */
  readonly capexUsdPerMtok: number;
  readonly energyUsdPerMtok: number;
  readonly tokensPerSecond: number;
  /** The headline: tokens per second, per watt, per dollar of hardware. */
  readonly tokensPerSecPerWattPerUsd: number;
}

const PJ = 1e-12;

export function energyOf(a: Activity, e: EnergyPreset, scale = nodeScale(e)): EnergyReport {
  let compute = a.vectorOps * e.vectorPj45 * scale * PJ;
  for (const [dtype, n] of Object.entries(a.macs)) {
    compute += (n ?? 0) * e.macPj45[dtype as keyof EnergyPreset["macPj45"]] * scale * PJ;
  }
  const sram = a.sramBytes * e.sramPjPerByte45 * scale * PJ;
  const dram = a.dramBytes * e.dramPjPerByte * PJ;
  const link = a.linkBytes * e.linkPjPerByte * PJ;
  const stat = e.staticShare * e.tdpW * a.chips * a.seconds;
  const total = compute + sram + dram + link + stat;
  return {
    joules: { compute, sram, dram, link, static: stat, total },
    joulesPerToken: total / a.tokens,
    tokensPerJoule: a.tokens / total,
    watts: total / a.seconds,
  };
}

export function costOf(a: Activity, energy: EnergyReport, e: EnergyPreset, c: CostPreset): CostReport {
  const tokensPerSecond = a.tokens / a.seconds;
  const lifeSeconds = c.amortYears * 365.25 * 86400;
  // Capital: the chips' price spread over the seconds they serve in their life.
  const capexPerToken = (c.priceUsd * a.chips) / (lifeSeconds * c.utilisation) / tokensPerSecond;
  // Electricity: the run's energy, plus static power through the idle share of the time.
  const idleJoulesPerToken =
    (e.staticShare * e.tdpW * a.chips * a.seconds * (1 / c.utilisation - 1)) / a.tokens;
  const energyPerToken = ((energy.joulesPerToken + idleJoulesPerToken) / 3.6e6) * c.usdPerKwh;
  return {
    usdPerMtok: 1e6 * (capexPerToken + energyPerToken),
    capexUsdPerMtok: 1e6 * capexPerToken,
    energyUsdPerMtok: 1e6 * energyPerToken,
    tokensPerSecond,
    tokensPerSecPerWattPerUsd: tokensPerSecond / energy.watts / (c.priceUsd * a.chips),
  };
}
