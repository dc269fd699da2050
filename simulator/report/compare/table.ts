// Two machine reports (LPU and GPU, the fields both share) -> the side-by-side text table of `lpu compare`, with
// a GPU / LPU ratio column. Guarantees: fixed row order, fixed number formats: the same reports give the same text.
import type { Distribution } from "../stats.ts";

/** The fields of a machine report the table prints (LpuSummary and GpuSummary both have them). */
export interface SideReport {
  readonly runs: number;
  readonly latency_us: Distribution;
  readonly tokens_per_s: { readonly per_user: number; readonly total: number };
  readonly joules_per_token: number;
  readonly usd_per_mtok: number;
  readonly tokens_per_s_per_w_per_usd: number;
  readonly watts: number;
}

/** A number in a fixed, readable form: grouped integers when large, four significant digits when small. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return "0";
  if (a >= 1e9 || a < 1e-3) return x.toExponential(3);
  if (a >= 1e4) return x.toLocaleString("en-US", { maximumFractionDigits: 0 });
  if (a >= 100) return x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return x.toPrecision(4);
}

/** GPU / LPU: how many times the GPU's figure is the LPU's; "-" when the LPU's is 0 (a zero spread). */
function ratio(gpu: number, lpu: number): string {
  if (lpu === 0) return gpu === 0 ? "1" : "-";
  return `${num(gpu / lpu)}x`;
}

export function compareTable(lpuLabel: string, lpu: SideReport, gpuLabel: string, gpu: SideReport): string {
  const l = lpu.latency_us;
  const g = gpu.latency_us;
  const rows: [string, number, number][] = [
    ["latency min (us)", l.min, g.min],
    ["latency p50 (us)", l.p50, g.p50],
    ["latency p90 (us)", l.p90, g.p90],
    ["latency p99 (us)", l.p99, g.p99],
    ["latency p99.9 (us)", l.p999, g.p999],
    ["latency max (us)", l.max, g.max],
    ["latency mean (us)", l.mean, g.mean],
    ["latency stdev (us)", l.stdev, g.stdev],
    ["p99 / p50", l.p99 / l.p50, g.p99 / g.p50],
    ["tokens/s per user", lpu.tokens_per_s.per_user, gpu.tokens_per_s.per_user],
    ["tokens/s total", lpu.tokens_per_s.total, gpu.tokens_per_s.total],
    ["power (W, all chips)", lpu.watts, gpu.watts],
    ["joules per token", lpu.joules_per_token, gpu.joules_per_token],
    ["$ per million tokens", lpu.usd_per_mtok, gpu.usd_per_mtok],
    ["tokens/s per W per $", lpu.tokens_per_s_per_w_per_usd, gpu.tokens_per_s_per_w_per_usd],
  ];
  const head: [string, string, string, string] = ["", lpuLabel, gpuLabel, "GPU / LPU"];
  const body = rows.map(([name, a, b]): [string, string, string, string] => [
    name,
    num(a),
    num(b),
    ratio(b, a),
  ]);
  const all = [head, ...body];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) =>
    `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${r[3]!.padStart(widths[3]!)}`.trimEnd();
  return [line(head), ...body.map(line)].join("\n");
}
