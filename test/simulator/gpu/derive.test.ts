// GPU preset overrides and the energy/cost model: settings in user units, errors as diagnostics with hints,
// and joules and dollars checked by hand.
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import { deriveCost } from "../../../simulator/report/cost/derive.ts";
import { costOf, energyOf } from "../../../simulator/report/cost/model.ts";

describe("--gpu-set", () => {
  it("sets a value in user units without touching the preset", () => {
    const d = deriveGpu("h100-sxm", { hbm_tbps: "4.8", t_rfc: "300" });
    expect(d.preset!.hbm.peakGBps).toBe(4800);
    expect(d.preset!.hbm.timing.tRFC).toBe(300);
    expect(deriveGpu("h100-sxm").preset!.hbm.peakGBps).toBe(3350);
  });

  it("an unknown key is an error with a did-you-mean hint", () => {
    const d = deriveGpu("h100-sxm", { hbm_tbs: "4" });
    expect(d.preset).toBeUndefined();
    expect(d.diagnostics[0]!.code).toBe("LPU7002");
    expect(d.diagnostics[0]!.hint).toBe("did you mean 'hbm_tbps'?");
  });

  it("bad values and inconsistent settings are errors", () => {
    expect(deriveGpu("h100-sxm", { sms: "1.5" }).diagnostics[0]!.code).toBe("LPU7003");
    expect(deriveGpu("h100-sxm", { nvls: "2" }).diagnostics[0]!.code).toBe("LPU7003");
    expect(deriveGpu("h100-sxm", { t_rfc: "5000" }).diagnostics[0]!.code).toBe("LPU7004");
    expect(deriveGpu("h100-sx").diagnostics[0]!.hint).toBe("did you mean 'h100-sxm'?");
  });
});

describe("energy and cost", () => {
  const model = deriveCost("h100-sxm", { energy_scale: "1" }).model!;
  const activity = {
    macs: { fp16: 1e12 },
    vectorOps: 0,
    sramBytes: 0,
    dramBytes: 1e9,
    linkBytes: 0,
    seconds: 0.01,
    chips: 1,
    tokens: 10,
  };

  it("joules = MACs x pJ/MAC + bytes x pJ/byte + static share of TDP x seconds", () => {
    const e = energyOf(activity, model.energy, model.scale);
    expect(e.joules.compute).toBeCloseTo(1e12 * 1.5e-12, 9); // fp16 multiply 1.1 + add 0.4 pJ at 45 nm
    expect(e.joules.dram).toBeCloseTo(1e9 * 3.9 * 8e-12, 9);
    expect(e.joules.static).toBeCloseTo(0.3 * 700 * 0.01, 9);
    expect(e.joulesPerToken).toBeCloseTo(e.joules.total / 10, 12);
  });

  it("dollars per million tokens = amortised price per token + electricity per token", () => {
    const e = energyOf(activity, model.energy, model.scale);
    const c = costOf(activity, e, model.energy, model.cost);
    const life = 4 * 365.25 * 86400 * 0.6;
    const capex = 27_500 / life / 1000; // 1,000 tokens per second
    expect(c.capexUsdPerMtok).toBeCloseTo(capex * 1e6, 9);
    expect(c.usdPerMtok).toBeCloseTo(c.capexUsdPerMtok + c.energyUsdPerMtok, 9);
    expect(c.tokensPerSecPerWattPerUsd).toBeCloseTo(1000 / e.watts / 27_500, 12);
  });

  it("an unknown cost key is an error with a hint", () => {
    const d = deriveCost("h100-sxm", { price_usdd: "1" });
    expect(d.diagnostics[0]!.code).toBe("LPU7005");
    expect(d.diagnostics[0]!.hint).toBe("did you mean 'price_usd'?");
  });
});
