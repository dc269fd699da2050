// The HTML report without a browser: self-contained (no URL it could fetch), every data string escaped,
// byte-identical for the same data, and the numbers behind its charts (bins, ticks, Gantt rows, breakdown).
import { describe, expect, it } from "vitest";
import type { GpuSummary } from "../../../simulator/gpu/summary.ts";
import { esc, num } from "../../../simulator/report/html/format.ts";
import { lpuBreakdown } from "../../../simulator/report/html/from-lpu.ts";
import { sideFromSummary } from "../../../simulator/report/html/from-summary.ts";
import { ganttFromTimeline } from "../../../simulator/report/html/gantt.ts";
import { niceTicks, sharedBins } from "../../../simulator/report/html/histogram.ts";
import { renderReport } from "../../../simulator/report/html/render.ts";
import { fixtureReport, GPU_BARS, GPU_SAMPLES_US, mlp2Run, smallTimeline } from "./fixtures.ts";

describe("self-contained and safe", () => {
  const html = renderReport(fixtureReport());

  it("references nothing outside the page: no src, href, @import, url() or link; only the SVG namespace URL", () => {
    expect(html).not.toMatch(/\ssrc=/i);
    expect(html).not.toMatch(/\shref=/i);
    expect(html).not.toMatch(/@import|url\(|<link\b/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
    expect([...new Set(urls)]).toEqual(["http://www.w3.org/2000/svg"]);
  });

  it("a Content-Security-Policy forbids any request the page might try", () => {
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none';`);
  });

  it("every data string is escaped: a label cannot open a tag or close the script", () => {
    const evil = "</script><script>alert(1)</script><b x='1'>&";
    const d = fixtureReport();
    const out = renderReport({
      ...d,
      title: evil,
      model: evil,
      conditions: [{ label: evil, value: evil }],
      lpu: { ...d.lpu, label: evil },
      breakdown: { ...d.breakdown, rows: [{ name: evil, cycles: [1, 2] }], states: [evil, "idle"] },
      gantt: {
        ...d.gantt,
        title: evil,
        rows: [{ name: evil, bars: [{ start: 0, duration: 5, name: evil, category: evil, detail: evil }] }],
      },
    });
    expect(out.match(/<script>/g)).toHaveLength(1);
    expect(out).not.toContain("<b x=");
    expect(out).toContain(esc(evil));
  });

  it("the same data gives byte-identical pages", () => {
    expect(renderReport(fixtureReport())).toBe(html);
  });
});

describe("numbers behind the charts", () => {
  it("shared bins: the fixture's GPU samples land in the bins counted by hand", () => {
    const b = sharedBins(Array<number>(100).fill(2), GPU_SAMPLES_US, 40);
    expect(b.lo).toBe(2);
    expect(b.width).toBe(1);
    const nonEmpty = (c: readonly number[]) => c.flatMap((n, i) => (n > 0 ? [i] : []));
    expect(nonEmpty(b.gpu)).toEqual([8, 9, 10, 12, 15, 23, 39]);
    expect(nonEmpty(b.gpu)).toHaveLength(GPU_BARS);
    expect(nonEmpty(b.lpu)).toEqual([0]);
    expect(b.gpu[8]).toBe(45);
  });

  it("a single repeated latency gets one bin centred on it", () => {
    const b = sharedBins([5, 5, 5], [5], 10);
    expect(b.lpu.reduce((s, n) => s + n, 0)).toBe(3);
    expect(b.lo + 5 * b.width).toBeCloseTo(5, 9);
  });

  it("ticks are 1, 2 or 5 times a power of ten", () => {
    expect(niceTicks(0, 42)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(2, 42, 8)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    expect(niceTicks(0, 0.58, 8)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it("numbers print without locale: 4 significant digits, thin-space groups, scientific when tiny", () => {
    expect([
      num(2),
      num(11.2),
      num(0.00042),
      num(85000),
      num(1234567),
      num(0.0000043),
      num(Number.NaN),
    ]).toEqual(["2", "11.2", "0.00042", "85\u2009000", "1\u2009234\u2009567", "4.3e-6", "\u2014"]);
  });

  it("the Gantt has a row per lane with bars and keeps the earliest bars when capped", () => {
    const g = ganttFromTimeline(smallTimeline(), { window: { from: 0, to: 400 }, process: 0 });
    expect(g.rows.map((r) => r.name)).toEqual(["MEM 0-10", "MXM 0", "MXM 0 ·2"]);
    expect(g.rows.map((r) => r.bars.length)).toEqual([1, 3, 1]);
    expect(g.omitted).toBe(0);
    const capped = ganttFromTimeline(smallTimeline(), {
      window: { from: 0, to: 400 },
      process: 0,
      maxBars: 3,
    });
    expect(capped.omitted).toBe(2);
    expect(capped.rows.flatMap((r) => r.bars.map((b) => b.start)).sort((a, b) => a - b)).toEqual([0, 0, 4]);
  });

  it("the breakdown's busy and idle add up to units x cycles for every unit kind", () => {
    const { result, machine } = mlp2Run();
    const b = lpuBreakdown(result, machine);
    const units = [88, 16, 4, 2, 16];
    b.rows.forEach((r, i) => {
      expect(r.cycles[0]! + r.cycles[1]!).toBe(units[i]! * result.cycles);
      expect(r.cycles[0]!).toBeGreaterThanOrEqual(0);
    });
    expect(b.rows[2]!.cycles[0]).toBeGreaterThan(0); // the MXM planes did the matmuls
  });
});

describe("from a run summary", () => {
  it("a GpuSummary's fields map onto a machine side, with the raw samples the histogram needs", () => {
    const summary: GpuSummary = {
      runs: 3,
      gpus: 1,
      latency_us: { min: 1, p50: 2, p90: 3, p99: 3, p999: 3, max: 3, mean: 2, stdev: 0.8 },
      tokens_per_s: { per_user: 500, total: 1500 },
      joules_per_token: 0.5,
      usd_per_mtok: 2,
      tokens_per_s_per_w_per_usd: 1e-5,
      watts: 700,
      energy_j_per_token: { compute: 0.1, sram: 0.05, dram: 0.2, link: 0, static: 0.15 },
      batch_mean: 3,
      hbm: { gb_per_run: 1, achieved_tbps: 2, row_hit_rate: 0.5, background_gb_per_run: 0 },
      min_clock_mhz: 1980,
    };
    const side = sideFromSummary("GPU", [1, 2, 3], summary);
    expect(side).toMatchObject({
      tokensPerSecond: { perUser: 500, total: 1500 },
      joulesPerToken: 0.5,
      usdPerMtok: 2,
      watts: 700,
      energyPerToken: { dram: 0.2, static: 0.15 },
    });
    expect(side.latencySamplesUs).toEqual([1, 2, 3]);
  });
});
