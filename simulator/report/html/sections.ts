// The report's tables and stacked-bar charts: the side-by-side comparison, where the cycles go, and energy and
// cost per token. In: ReportData parts. Out: HTML strings, every data string escaped.
import { type Distribution, distribution } from "../stats.ts";
import type { Breakdown, MachineSide } from "./data.ts";
import { esc, num, px } from "./format.ts";

interface Row {
  readonly label: string;
  readonly lpu: number;
  readonly gpu: number;
  /** Lower is better: the ratio column then reads "GPU / LPU"; otherwise "LPU / GPU". */
  readonly lowerIsBetter: boolean;
}

function ratio(r: Row): string {
  const x = r.lowerIsBetter ? r.gpu / r.lpu : r.lpu / r.gpu;
  return Number.isFinite(x) ? `${num(x, 3)}×` : "\u2014";
}

/** The samples' distribution; identical samples (a deterministic machine) give a mean equal to them and a stdev of
 * exactly 0, not the rounding error of summing them. */
function latencyStats(samples: readonly number[]): Distribution {
  const d = distribution(samples);
  return d.min === d.max ? { ...d, mean: d.min, stdev: 0 } : d;
}

/** The side-by-side table; the last column says how many times better the LPU is (below 1: worse). */
export function comparisonTable(lpu: MachineSide, gpu: MachineSide): string {
  const a = latencyStats(lpu.latencySamplesUs);
  const b = latencyStats(gpu.latencySamplesUs);
  const rows: Row[] = [
    { label: "latency min (µs)", lpu: a.min, gpu: b.min, lowerIsBetter: true },
    { label: "latency p50 (µs)", lpu: a.p50, gpu: b.p50, lowerIsBetter: true },
    { label: "latency p90 (µs)", lpu: a.p90, gpu: b.p90, lowerIsBetter: true },
    { label: "latency p99 (µs)", lpu: a.p99, gpu: b.p99, lowerIsBetter: true },
    { label: "latency max (µs)", lpu: a.max, gpu: b.max, lowerIsBetter: true },
    { label: "latency mean (µs)", lpu: a.mean, gpu: b.mean, lowerIsBetter: true },
    { label: "latency stdev (µs)", lpu: a.stdev, gpu: b.stdev, lowerIsBetter: true },
    { label: "p99 / p50", lpu: a.p99 / a.p50, gpu: b.p99 / b.p50, lowerIsBetter: true },
    {
      label: "tokens/s per user",
      lpu: lpu.tokensPerSecond.perUser,
      gpu: gpu.tokensPerSecond.perUser,
      lowerIsBetter: false,
    },
    {
      label: "tokens/s total",
      lpu: lpu.tokensPerSecond.total,
      gpu: gpu.tokensPerSecond.total,
      lowerIsBetter: false,
    },
    { label: "joules per token", lpu: lpu.joulesPerToken, gpu: gpu.joulesPerToken, lowerIsBetter: true },
    { label: "$ per million tokens", lpu: lpu.usdPerMtok, gpu: gpu.usdPerMtok, lowerIsBetter: true },
    {
      label: "tokens/s per W per $",
      lpu: lpu.tokensPerSecPerWattPerUsd,
      gpu: gpu.tokensPerSecPerWattPerUsd,
      lowerIsBetter: false,
    },
    { label: "power (W)", lpu: lpu.watts, gpu: gpu.watts, lowerIsBetter: true },
  ];
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.label)}</th><td>${num(r.lpu)}</td><td>${num(r.gpu)}</td><td class="ratio">${ratio(r)}</td></tr>`,
    )
    .join("\n");
  return `<table id="comparison" class="numbers">
<thead><tr><th></th><th class="lpu">${esc(lpu.label)}</th><th class="gpu">${esc(gpu.label)}</th><th title="how many times better the LPU is; below 1 means worse">LPU advantage</th></tr></thead>
<tbody>
${body}
<tr><th scope="row">runs</th><td>${lpu.latencySamplesUs.length}</td><td>${gpu.latencySamplesUs.length}</td><td></td></tr>
</tbody></table>`;
}

const SEGMENT_CLASSES = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"];

/** A state named "idle" is always grey; the others take the palette in order. */
function segmentClass(states: readonly string[], i: number): string {
  return states[i] === "idle" ? "idle" : SEGMENT_CLASSES[i % SEGMENT_CLASSES.length]!;
}

/**
 * Horizontal stacked bars, one per row. `share`: each bar is 100% of its row (where the row's time goes);
 * `absolute`: all bars on one scale (compare totals).
 */
export function stackedBars(
  id: string,
  states: readonly string[],
  rows: readonly { readonly name: string; readonly values: readonly number[] }[],
  mode: "share" | "absolute",
  unit: string,
): string {
  const W = 760;
  const labelW = 150;
  const barW = W - labelW - 70;
  const rowH = 26;
  const legendH = 24;
  const H = legendH + rows.length * rowH + 8;
  const most = Math.max(...rows.map((r) => r.values.reduce((s, v) => s + v, 0)), Number.MIN_VALUE);
  const parts = [
    `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(id)}">`,
  ];
  states.forEach((s, i) => {
    const x = labelW + i * 130;
    parts.push(
      `<rect class="seg ${segmentClass(states, i)}" x="${x}" y="6" width="12" height="12"/><text class="legend" x="${x + 16}" y="16">${esc(s)}</text>`,
    );
  });
  rows.forEach((r, k) => {
    const y = legendH + k * rowH + 4;
    const total = r.values.reduce((s, v) => s + v, 0);
    const scale = mode === "share" ? (total > 0 ? barW / total : 0) : barW / most;
    parts.push(
      `<text class="row-name" x="${labelW - 8}" y="${y + 13}" text-anchor="end">${esc(r.name)}</text>`,
    );
    let x = labelW;
    r.values.forEach((v, i) => {
      if (v <= 0) return;
      const w = v * scale;
      const share = total > 0 ? (100 * v) / total : 0;
      parts.push(
        `<rect class="seg ${segmentClass(states, i)}" x="${px(x)}" y="${y}" width="${px(w)}" height="${rowH - 8}"><title>${esc(`${r.name}: ${states[i]} ${num(v)} ${unit} (${num(share, 3)}%)`)}</title></rect>`,
      );
      x += w;
    });
    parts.push(`<text class="tick" x="${px(x + 6)}" y="${y + 13}">${esc(num(total))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

export function breakdownSection(b: Breakdown): string {
  const chart = stackedBars(
    "breakdown",
    b.states,
    b.rows.map((r) => ({ name: r.name, values: r.cycles })),
    "share",
    b.unit,
  );
  const head = `<tr><th></th>${b.states.map((s) => `<th>${esc(s)}</th>`).join("")}</tr>`;
  const body = b.rows
    .map((r) => {
      const total = r.cycles.reduce((s, v) => s + v, 0);
      const cells = r.cycles
        .map(
          (c) =>
            `<td>${num(c)} <span class="share">${total > 0 ? num((100 * c) / total, 3) : "0"}%</span></td>`,
        )
        .join("");
      return `<tr><th scope="row">${esc(r.name)}</th>${cells}</tr>`;
    })
    .join("\n");
  return `${chart}
<table id="breakdown-table" class="numbers"><thead>${head}</thead><tbody>
${body}
</tbody></table>
<p class="note">${esc(b.unit)}.</p>`;
}

const ENERGY_PARTS = ["compute", "sram", "dram", "link", "static"] as const;
const ENERGY_NAMES = ["compute", "SRAM", "DRAM / HBM", "links", "static"];

export function energySection(lpu: MachineSide, gpu: MachineSide): string {
  const chart = stackedBars(
    "energy",
    ENERGY_NAMES,
    [lpu, gpu].map((m) => ({ name: m.label, values: ENERGY_PARTS.map((p) => m.energyPerToken[p]) })),
    "absolute",
    "J/token",
  );
  const row = (label: string, f: (m: MachineSide) => number | undefined) =>
    `<tr><th scope="row">${esc(label)}</th>${[lpu, gpu].map((m) => `<td>${num(f(m) ?? Number.NaN)}</td>`).join("")}</tr>`;
  const rows = [
    ...ENERGY_PARTS.map((p, i) => row(`${ENERGY_NAMES[i]} (J/token)`, (m) => m.energyPerToken[p])),
    row("total (J/token)", (m) => m.joulesPerToken),
    row("tokens per joule", (m) => 1 / m.joulesPerToken),
    row("hardware ($/Mtok)", (m) => m.costSplit?.capexUsdPerMtok),
    row("electricity ($/Mtok)", (m) => m.costSplit?.energyUsdPerMtok),
    row("total ($/Mtok)", (m) => m.usdPerMtok),
    row("tokens/s per W per $", (m) => m.tokensPerSecPerWattPerUsd),
  ];
  return `${chart}
<table id="energy-table" class="numbers"><thead><tr><th></th><th class="lpu">${esc(lpu.label)}</th><th class="gpu">${esc(gpu.label)}</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>`;
}
