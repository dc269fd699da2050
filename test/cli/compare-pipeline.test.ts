// The LPU half of `lpu compare`: determinism is measured over clock-drift seeds (on a real two-chip program, where
// the seeds move the chips in time), a clock-dependent schedule is caught, and a model the back end does not compile
// stops with the compiler's own diagnostics.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseAsm } from "../../arch/asm/index.ts";
import { resolveMachine } from "../../arch/derive.ts";
import { splitCostSets } from "../../cli/pipeline/cost-sets.ts";
import { clockSeeds, compileAndSimulate, compileForLpu, simulateLpu } from "../../cli/pipeline/lpu.ts";
import { UserError } from "../../util/diagnostics.ts";

const machine = resolveMachine("tsp-v1");
const twoChipText = readFileSync("programs/asm/two-chip.lasm", "utf8");
const flags = { chips: 1, arch: "tsp-v1", archSet: {}, set: {} };

afterEach(() => vi.restoreAllMocks());

function quietStderr(): string[] {
  const written: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    written.push(String(s));
    return true;
  });
  return written;
}

describe("LPU runs over clock seeds", () => {
  it("clock seeds: K distinct seeds, the same K for the same --seed", () => {
    const a = clockSeeds(1, 50);
    expect(new Set(a).size).toBe(50);
    expect(clockSeeds(1, 50)).toEqual(a);
    expect(clockSeeds(2, 50)).not.toEqual(a);
  });

  it("a deskewed two-chip program takes identical cycles under 30 drift seeds while its launch pause varies", () => {
    const program = parseAsm(twoChipText, "two-chip.lasm").program!;
    const runs = simulateLpu(program, machine, clockSeeds(1, 30));
    expect(new Set(runs.map((r) => r.cycles)).size).toBe(1);
    // The seeds really reached the clocks: the chips paused for different times before aligning.
    expect(new Set(runs.map((r) => r.pauseCycles)).size).toBeGreaterThan(1);
  });

  it("the same program without deskew depends on the clocks, and the run stops with a hazard report", () => {
    const program = parseAsm(twoChipText.replace(/^\s*@0 deskew.*$/gm, ""), "no-deskew.lasm").program!;
    const err = quietStderr();
    expect(() => simulateLpu(program, machine, clockSeeds(1, 30))).toThrow(/hazard.*a compiler bug/);
    expect(err.join("")).toMatch(/error LPU4013: chip 1, c2c0 #0 'recv'.*none arrived/);
  });

  it("mlp2: compiled once, K runs with identical cycles equal to the compiler's prediction", () => {
    const { compiled, samples } = compileAndSimulate("programs/mlp2.model", flags, clockSeeds(7, 5));
    expect(samples.map((s) => s.cycles)).toEqual(new Array(5).fill(compiled.report.cycles));
  });

  it("a model that does not fit the chips stops with the compiler's diagnostic (LPU5001) and says so", () => {
    const err = quietStderr();
    let thrown: unknown;
    try {
      compileForLpu("programs/mlp2.model", { ...flags, set: { hidden: "200000" } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as Error).message).toMatch(/LPU compiler did not compile 'programs\/mlp2.model'/);
    // 784 x 200000 weights in 3 K tiles: a split over 2 chips leaves 2 tiles (256 MB) on one, so 3 chips.
    expect(err.join("")).toMatch(/error LPU5001: mlp2 at fp16 needs at least 3 chips/);
  });
});

describe("--cost-set per machine", () => {
  it("a plain key applies to both machines; lpu.KEY and gpu.KEY to one, and win over the plain key", () => {
    const s = splitCostSets({ usd_per_kwh: "0.2", "lpu.price_usd": "15000", "gpu.usd_per_kwh": "0.3" });
    expect(s.lpu).toEqual({ usd_per_kwh: "0.2", price_usd: "15000" });
    expect(s.gpu).toEqual({ usd_per_kwh: "0.3" });
  });
});
