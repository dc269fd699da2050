// `--cost-set key=value` overrides of the energy and cost presets: a preset name plus string settings -> validated
// presets and the node scale, or diagnostics (unknown keys get a did-you-mean hint).
import { GpuMessages } from "../../../arch/gpu/messages.ts";
import { type Diagnostic, diag } from "../../../util/diagnostics.ts";
import { didYouMean } from "../../../util/suggest.ts";
import { COST_PRESETS, type CostPreset, ENERGY_PRESETS, type EnergyPreset, nodeScale } from "./presets.ts";

type Target = "energy" | "cost" | "scale";

interface CostSetting {
  readonly target: Target;
  readonly field: string;
  readonly scale: number;
  readonly share: boolean;
  readonly doc: string;
}

const c = (target: Target, field: string, doc: string, scale = 1, share = false): CostSetting => ({
  target,
  field,
  scale,
  share,
  doc,
});

export const COST_SETTINGS: Readonly<Record<string, CostSetting>> = {
  price_usd: c("cost", "priceUsd", "price of one chip or card, USD"),
  usd_per_kwh: c("cost", "usdPerKwh", "electricity, USD per kWh"),
  utilisation: c("cost", "utilisation", "share of time serving tokens", 1, true),
  amort_years: c("cost", "amortYears", "amortisation period, years"),
  energy_scale: c("scale", "", "multiplier from 45 nm energies to this chip (default: node scaling)"),
  node_nm: c("energy", "nodeNm", "process node, nm (for node scaling)"),
  vdd: c("energy", "vdd", "core supply, V (for node scaling)"),
  sram_pj_per_byte: c("energy", "sramPjPerByte45", "SRAM energy per byte at 45 nm, pJ"),
  dram_pj_per_bit: c("energy", "dramPjPerByte", "HBM energy per bit, pJ", 8),
  link_pj_per_bit: c("energy", "linkPjPerByte", "chip-to-chip link energy per bit, pJ", 8),
  static_share: c("energy", "staticShare", "static power as a share of TDP", 1, true),
  tdp_w: c("energy", "tdpW", "power limit, W"),
};

export interface CostModel {
  readonly energy: EnergyPreset;
  readonly cost: CostPreset;
  readonly scale: number;
}

export function deriveCost(
  name: string,
  sets: Readonly<Record<string, string>> = {},
): { model?: CostModel; diagnostics: Diagnostic[] } {
  const e = ENERGY_PRESETS[name];
  const k = COST_PRESETS[name];
  if (!e || !k) {
    const known = Object.keys(ENERGY_PRESETS).sort();
    return {
      diagnostics: [diag(GpuMessages.unknownPreset, "--cost-set", undefined, [name, known.join(", ")])],
    };
  }
  const energy: Record<string, unknown> = { ...e };
  const cost: Record<string, unknown> = { ...k };
  let scale: number | undefined;
  const diagnostics: Diagnostic[] = [];
  for (const key of Object.keys(sets).sort()) {
    const def = COST_SETTINGS[key];
    const raw = sets[key]!;
    if (!def) {
      const hint = didYouMean(key, Object.keys(COST_SETTINGS));
      diagnostics.push(diag(GpuMessages.unknownCostKey, "--cost-set", undefined, [key], hint));
      continue;
    }
    const v = raw.trim() === "" ? Number.NaN : Number(raw);
    const ok = Number.isFinite(v) && (def.share ? v > 0 && v <= 1 : v > 0);
    if (!ok) {
      const what = def.share ? "takes a number above 0, at most 1" : "takes a positive number";
      diagnostics.push(diag(GpuMessages.badCostValue, "--cost-set", undefined, [key, what, raw]));
      continue;
    }
    if (def.target === "scale") scale = v;
    else (def.target === "energy" ? energy : cost)[def.field] = v * def.scale;
  }
  if (diagnostics.length > 0) return { diagnostics };
  const ep = energy as unknown as EnergyPreset;
  return {
    model: { energy: ep, cost: cost as unknown as CostPreset, scale: scale ?? nodeScale(ep) },
    diagnostics,
  };
}
