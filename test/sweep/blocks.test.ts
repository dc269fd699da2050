// `lpu sweep` flags -> blocks of axes: which lists cross which, and the flag mistakes caught before any work.
import { describe, expect, it } from "vitest";
import { sweepBlocks } from "../../cli/sweep/blocks.ts";
import { combinations } from "../../compiler/sweep/grid.ts";

describe("sweep flags to combinations", () => {
  it("crosses --set lists with both machines, --arch-set only with the LPU, in the same order whatever the flag order", () => {
    const a = sweepBlocks({
      chips: "64,128",
      archSet: { sram_mib: "220,440", clock_mhz: "900" },
      gpus: "1,8",
      set: { layers: "1,2", ctx: "4096" },
    });
    const b = sweepBlocks({
      set: { ctx: "4096", layers: "1,2" },
      gpus: "1,8",
      archSet: { clock_mhz: "900", sram_mib: "220,440" },
      chips: "64,128",
    });
    expect(combinations(b)).toEqual(combinations(a));
    expect(a.map((x) => [x.target, x.axes.map((ax) => ax.name).join(" ")])).toEqual([
      ["lpu", "set.ctx set.layers arch arch.clock_mhz arch.sram_mib chips"],
      ["gpu", "set.ctx set.layers gpu gpus"],
    ]);
    expect(combinations(a).length).toBe(2 * 2 * 2 + 2 * 2);
  });
  it("says what is missing or misplaced", () => {
    expect(() => sweepBlocks({})).toThrow(
      "nothing to sweep: give --chips (the LPU), --gpus (the GPU baseline), or both",
    );
    expect(() => sweepBlocks({ gpus: "1", archSet: { sram_mib: "1" } })).toThrow(/--arch-set vary the LPU/);
    expect(() => sweepBlocks({ chips: "1", gpu: "a100-sxm" })).toThrow("--gpu needs --gpus");
    expect(() => sweepBlocks({ chips: "1", set: { ctx: "1,,2" } })).toThrow(
      /--set ctx takes a comma-separated list/,
    );
  });
});
