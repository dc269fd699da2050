// The side-by-side table and the histograms on one axis: golden text for fixed reports, and the rules the
// histogram follows (both sides on the same bins, empty runs collapsed, a narrow spread drawn again on its own axis).
import { describe, expect, it } from "vitest";
import { sharedHistogram } from "../../../../simulator/report/compare/histogram.ts";
import { compareTable, num, type SideReport } from "../../../../simulator/report/compare/table.ts";
import { distribution } from "../../../../simulator/report/stats.ts";

const side = (samples: number[], total: number): SideReport => ({
  runs: samples.length,
  latency_us: distribution(samples),
  tokens_per_s: { per_user: 1e6 / distribution(samples).mean, total },
  joules_per_token: 5e-5,
  usd_per_mtok: 0.0016,
  tokens_per_s_per_w_per_usd: 0.9,
  watts: 91,
});
const lpu = new Array<number>(10).fill(0.5);
const gpu = [4.2, 4.6, 4.9, 5.1, 5.2, 5.3, 5.5, 5.9, 6.3, 6.6];

describe("compare table", () => {
  it("prints every row in a fixed order with a GPU / LPU ratio; a zero LPU spread has no ratio", async () => {
    const t = compareTable("LPU 1 x tsp-v1", side(lpu, 1.7e6), "GPU 1 x h100-sxm", side(gpu, 1.9e5));
    await expect(`${t}\n`).toMatchFileSnapshot("./golden/table.txt");
    expect(t).toMatch(/latency stdev \(us\)\s+0\s+\S+\s+-$/m);
  });

  it("numbers: grouped when large, four significant digits when small, exponent at the extremes", () => {
    expect(num(1717557.25)).toBe("1,717,557");
    expect(num(210.08)).toBe("210.1");
    expect(num(0.58222)).toBe("0.5822");
    expect(num(5.287e-5)).toBe("5.287e-5");
    expect(num(0)).toBe("0");
  });
});

describe("histograms on one axis", () => {
  it("both sides use the same bins; a run of empty bins is one '...' row", async () => {
    const h = sharedHistogram({ label: "LPU", samples: lpu }, { label: "GPU", samples: gpu });
    await expect(`${h}\n`).toMatchFileSnapshot("./golden/histogram.txt");
    const rows = h.split("\n").filter((l) => l.includes(" us |"));
    expect(rows[0]).toMatch(/^\s+0.50 us \| #+\s+10 \|$/);
    expect(h).toContain("... |");
    // Every sample is in exactly one bin of each side.
    const counts = (col: number) =>
      rows.map((r) => Number(r.split("|")[col]!.trim().split(/\s+/).at(-1) || 0)).reduce((a, b) => a + b, 0);
    expect(counts(1)).toBe(10);
    expect(counts(2)).toBe(10);
  });

  it("a side whose spread covers under four shared bins is drawn again on its own axis", () => {
    const narrow = [100, 100.2, 100.4, 100.1];
    const h = sharedHistogram({ label: "LPU", samples: [1, 1, 1, 1] }, { label: "GPU", samples: narrow });
    expect(h).toContain("GPU alone, on its own axis:");
    expect(h).not.toContain("LPU alone");
  });

  it("the axis ends at the larger p99: a rare outlier is an overflow row, not a squashed body", () => {
    const body = Array.from({ length: 199 }, (_, i) => 4 + (i % 20) * 0.1);
    const h = sharedHistogram(
      { label: "LPU", samples: new Array(200).fill(0.5) },
      { label: "GPU", samples: [...body, 29] },
    );
    const rows = h.split("\n");
    expect(rows.at(-1)).toMatch(/^\s+> 5\.90 us \|\s+\| #\s+1$/);
    // The body 4.0-5.9 us keeps several bins of the shared axis.
    expect(rows.filter((r) => /^\s+[45]\.\d+ us \|\s+\| #/.test(r)).length).toBeGreaterThanOrEqual(5);
  });

  it("a spread as wide as the axis is not drawn twice", () => {
    const h = sharedHistogram({ label: "LPU", samples: lpu }, { label: "GPU", samples: gpu });
    expect(h).not.toContain("alone");
  });
});
