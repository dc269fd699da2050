// Energy and cost presets for both machines, each number with its source (gpu-reference.md / lpu-reference.md
// unless stated). Energies are Horowitz ISSCC 2014 at 45 nm, scaled to the chip's node by nodeScale() below.
// Contract: pJ per operation or per byte; prices in USD; shares in [0, 1].

export interface EnergyPreset {
  readonly name: string;
  /** Process node, nm, and core supply, V (used only by nodeScale). */
  readonly nodeNm: number;
  readonly vdd: number;
  /** pJ per multiply-accumulate at 45 nm by input type (multiply + add). */
  readonly macPj45: {
    readonly int8: number;
    readonly fp8: number;
    readonly fp16: number;
    readonly bf16: number;
    readonly fp32: number;
  };
  /** pJ per fp32 vector operation at 45 nm. */
  readonly vectorPj45: number;
  /** pJ per byte of on-chip SRAM traffic at 45 nm, and the array size the figure is for. */
  readonly sramPjPerByte45: number;
  /** pJ per byte of off-chip memory traffic (DRAM and PHY; not node-scaled). 0 for an SRAM-only chip. */
  readonly dramPjPerByte: number;
  /** pJ per byte sent over a chip-to-chip link (SerDes; not node-scaled). */
  readonly linkPjPerByte: number;
  readonly tdpW: number;
  /** Static power as a share of TDP, drawn whenever the chip is powered. */
  readonly staticShare: number;
}

export interface CostPreset {
  readonly name: string;
  readonly priceUsd: number;
  readonly usdPerKwh: number;
  /** Share of wall-clock time the chip serves tokens. */
  readonly utilisation: number;
  readonly amortYears: number;
}

// Horowitz, ISSCC 2014, 45 nm: int8 add 0.03, int8 mult 0.2, fp16 add 0.4, fp16 mult 1.1, fp32 add 0.9,
// fp32 mult 3.7 pJ. A MAC is one multiply and one add of the input type (the wider accumulator is ignored).
const MAC_45 = {
  int8: 0.2 + 0.03,
  fp8: (1.1 + 0.4) / 2, // assumption: fp8 not in Horowitz; half of fp16
  fp16: 1.1 + 0.4,
  bf16: 1.1 + 0.4, // assumption: as fp16
  fp32: 3.7 + 0.9,
};
/** A vector op is an fp32 add or multiply: their mean (assumption about the mix). */
const VECTOR_45 = (0.9 + 3.7) / 2;

export const ENERGY_PRESETS: Readonly<Record<string, EnergyPreset>> = {
  "h100-sxm": {
    name: "h100-sxm",
    nodeNm: 4, // TSMC 4N (NVIDIA H100 whitepaper; not in gpu-reference.md)
    vdd: 0.75, // assumption
    macPj45: MAC_45,
    vectorPj45: VECTOR_45,
    sramPjPerByte45: 100 / 8, // Horowitz: 64-bit read of a 1 MB array 100 pJ (L2-sized arrays)
    dramPjPerByte: 3.9 * 8, // HBM 3.9-7 pJ/bit (unconfirmed); the low end for HBM3 (assumption)
    linkPjPerByte: 5.5 * 8, // off-package SerDes about 5.5 pJ/bit (second-hand)
    tdpW: 700, // data sheet
    staticShare: 0.3, // assumption, as the GPU preset
  },
  "a100-sxm": {
    name: "a100-sxm",
    nodeNm: 7, // TSMC N7 (NVIDIA A100 whitepaper; not in gpu-reference.md)
    vdd: 0.75, // assumption
    macPj45: MAC_45,
    vectorPj45: VECTOR_45,
    sramPjPerByte45: 100 / 8, // as H100
    dramPjPerByte: 7 * 8, // HBM 3.9-7 pJ/bit (unconfirmed); the high end for the older HBM2e (assumption)
    linkPjPerByte: 5.5 * 8, // second-hand
    tdpW: 400, // data sheet
    staticShare: 0.3, // assumption
  },
  lpu: {
    name: "lpu",
    nodeNm: 14, // lpu-reference.md: 14 nm (ISCA20)
    vdd: 0.8, // assumption
    macPj45: MAC_45,
    vectorPj45: VECTOR_45,
    // Banks of 4096 x 16 B = 64 KB (lpu-reference.md): nearest Horowitz array, 32 KB: 20 pJ per 64 bits.
    sramPjPerByte45: 20 / 8,
    dramPjPerByte: 0,
    linkPjPerByte: 5.5 * 8, // C2C links are off-package SerDes: about 5.5 pJ/bit (second-hand)
    tdpW: 300, // 215-300 W quoted (unconfirmed): the high end
    staticShare: 0.3, // assumption
  },
};

export const COST_PRESETS: Readonly<Record<string, CostPreset>> = {
  "h100-sxm": {
    name: "h100-sxm",
    priceUsd: 27_500, // $25,000-30,000 (analyst estimate reported by Barron's, 2023): the midpoint
    usdPerKwh: 0.1, // assumption: US industrial electricity, about $0.10/kWh
    utilisation: 0.6, // assumption
    amortYears: 4, // assumption
  },
  "a100-sxm": {
    name: "a100-sxm",
    priceUsd: 10_000, // about $10,000 (press, 2023)
    usdPerKwh: 0.1,
    utilisation: 0.6,
    amortYears: 4,
  },
  lpu: {
    name: "lpu",
    priceUsd: 20_000, // Groq-style card about $20,000 (single-unit distributor listing, 2024; unconfirmed)
    usdPerKwh: 0.1,
    utilisation: 0.6,
    amortYears: 4,
  },
};

/**
 * 45 nm energy -> the chip's node, first-order Dennard: switched capacitance proportional to feature size, energy
 * C V^2, Vdd 0.9 V at 45 nm. Modern node names no longer measure a feature, so this likely flatters new chips;
 * override with energy_scale.
 */
export function nodeScale(p: EnergyPreset): number {
  return (p.nodeNm / 45) * (p.vdd / 0.9) ** 2;
}
