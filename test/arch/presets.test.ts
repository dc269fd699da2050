// Preset facts from the reference sheet, the queue listing, and --arch-set derivation.
import { describe, expect, it } from "vitest";
import { deriveMachine, deriveMachineChecked, describeArchKeys, resolveMachine } from "../../arch/derive.ts";
import { linkBytesPerCycle, memSlices, sramBytesPerChip } from "../../arch/machine.ts";
import { chipQueues, getMachine, TSP_V1 } from "../../arch/presets.ts";
import { UserError } from "../../util/diagnostics.ts";

const m = TSP_V1;

describe("tsp-v1 preset", () => {
  it("has 220 MiB of SRAM in 88 MEM slices", () => {
    expect(memSlices(m)).toBe(88);
    expect(sramBytesPerChip(m)).toBe(220 * 2 ** 20);
  });

  it("peak int8 is 2 x 409,600 MACs x 0.9 GHz = 737 TOPS and fp16 a quarter of it", () => {
    const macs = m.mxm.planes * m.mxm.rows * m.mxm.cols;
    expect(macs).toBe(409_600);
    const int8Tops = (2 * macs * m.clockMHz * 1e6) / m.mxm.cyclesPerVector.int8 / 1e12;
    expect(int8Tops).toBeCloseTo(737.28, 2);
    const fp16Tflops = (2 * macs * m.clockMHz * 1e6) / m.mxm.cyclesPerVector.fp16 / 1e12;
    expect(fp16Tflops).toBeCloseTo(184.32, 2);
  });

  it("a link moves 4 x 30 Gb/s = 15 GB/s, 16.67 bytes per 900 MHz cycle", () => {
    expect(linkBytesPerCycle(m)).toBeCloseTo(15e9 / 900e6, 10);
  });

  it("slice order is MXM MXM SXM MEMx44 VXM MEMx44 SXM MXM MXM (95 positions)", () => {
    expect(m.sliceOrder.length).toBe(95);
    expect(m.sliceOrder.slice(0, 3)).toEqual(["mxm", "mxm", "sxm"]);
    expect(m.sliceOrder[47]).toBe("vxm");
    expect(m.sliceOrder.slice(92)).toEqual(["sxm", "mxm", "mxm"]);
  });

  it("lists 138 queues with their positions: mem0 at 3, mem44 at 48, vxm at 47, c2c8 at the east SXM", () => {
    const qs = chipQueues(m);
    expect(qs.length).toBe(88 + 16 + 4 + 2 + 16);
    const pos = (name: string) => qs.find((q) => q.name === name)?.position;
    expect(pos("mem0")).toBe(3);
    expect(pos("mem43")).toBe(46);
    expect(pos("mem44")).toBe(48);
    expect(pos("mem87")).toBe(91);
    expect(pos("vxm15")).toBe(47);
    expect([pos("mxm0"), pos("mxm1"), pos("mxm2"), pos("mxm3")]).toEqual([0, 1, 93, 94]);
    expect([pos("sxm0"), pos("sxm1")]).toEqual([2, 92]);
    expect([pos("c2c0"), pos("c2c7"), pos("c2c8"), pos("c2c15")]).toEqual([2, 2, 92, 92]);
  });

  it("is found by name, and unknown names are undefined", () => {
    expect(getMachine("tsp-v1")).toBe(m);
    expect(getMachine("tsp-v2")).toBeUndefined();
  });
});

describe("deriveMachine (--arch-set)", () => {
  it("sram_mib=440 doubles the words per slice", () => {
    const d = deriveMachine(m, { sram_mib: "440" });
    expect(d.mem.wordsPerSlice).toBe(16384);
    expect(sramBytesPerChip(d)).toBe(440 * 2 ** 20);
    expect(d.name).toBe("tsp-v1+sram_mib=440");
  });

  it("sram_mib that is not a whole number of words rounds down to whole words per bank", () => {
    const d = deriveMachine(m, { sram_mib: "256" });
    expect(d.mem.wordsPerSlice % d.mem.banksPerSlice).toBe(0);
    expect(sramBytesPerChip(d)).toBeLessThanOrEqual(256 * 2 ** 20);
    expect(sramBytesPerChip(d)).toBeGreaterThan(256 * 2 ** 20 - 88 * 320 * 2);
  });

  it("link_gbps is the per-lane rate: 60 doubles the link's bytes per cycle", () => {
    const d = deriveMachine(m, { link_gbps: "60", clock_mhz: "1000" });
    expect(d.c2c.linkGbps).toBe(240);
    expect(linkBytesPerCycle(d)).toBeCloseTo(30, 10);
    expect(d.name).toBe("tsp-v1+clock_mhz=1000,link_gbps=60");
  });

  it("does not change the base preset", () => {
    deriveMachine(m, { sram_mib: "440", mxm_latency: "30" });
    expect(m.mem.wordsPerSlice).toBe(8192);
    expect(m.mxm.latency).toBe(20);
  });

  it("unknown keys are LPU3901 with a near-miss hint", () => {
    const r = deriveMachineChecked(m, { sram_mb: "440" });
    expect(r.machine).toBeUndefined();
    expect(r.diagnostics[0]?.code).toBe("LPU3901");
    expect(r.diagnostics[0]?.hint).toBe("did you mean 'sram_mib'?");
  });

  it("bad values are LPU3902 and deriveMachine throws a UserError", () => {
    const r = deriveMachineChecked(m, { mxm_latency: "2.5", streams: "-1", clock_mhz: "fast" });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["LPU3902", "LPU3902", "LPU3902"]);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "machine option clock_mhz=fast: not a number",
      "machine option mxm_latency=2.5: must be a whole number",
      "machine option streams=-1: must be at least 1",
    ]);
    expect(() => deriveMachine(m, { mem_words: "1001" })).toThrow(UserError);
  });

  it("resolveMachine hints at the preset name", () => {
    expect(() => resolveMachine("tsp-1")).toThrow(/did you mean 'tsp-v1'/);
  });

  it("every key reads back the value it set", () => {
    for (const { key, value } of describeArchKeys(m)) {
      const next =
        key === "mem_banks" ? 4 : key === "mem_words" || key === "sram_mib" ? value * 2 : value + 1;
      const d = deriveMachine(m, { [key]: String(next) });
      expect(describeArchKeys(d).find((k) => k.key === key)?.value, key).toBeCloseTo(next, 6);
    }
  });
});
