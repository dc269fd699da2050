// Latency samples -> the distribution summary every report prints (nearest-rank percentiles) and a text histogram.
// Guarantees: the input is not mutated; the same samples give the same text.

export interface Distribution {
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  readonly stdev: number;
}

/** Nearest-rank percentile of sorted samples. */
function rank(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function distribution(samples: readonly number[]): Distribution {
  if (samples.length === 0) throw new Error("distribution of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  const variance = sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / sorted.length;
  return {
    min: sorted[0]!,
    p50: rank(sorted, 50),
    p90: rank(sorted, 90),
    p99: rank(sorted, 99),
    p999: rank(sorted, 99.9),
    max: sorted.at(-1)!,
    mean,
    stdev: Math.sqrt(variance),
  };
}

/** A text histogram: `bins` equal-width bins from min to max, bars up to `width` characters. */
export function histogram(samples: readonly number[], bins = 12, width = 40, unit = "us"): string {
  const d = distribution(samples);
  if (d.max === d.min) return `${d.min.toFixed(2)} ${unit} | ${"#".repeat(width)} ${samples.length}`;
  const counts = new Array<number>(bins).fill(0);
  const step = (d.max - d.min) / bins;
  for (const x of samples) counts[Math.min(bins - 1, Math.floor((x - d.min) / step))]!++;
  const most = Math.max(...counts);
  const digits = step < 0.1 ? 3 : step < 10 ? 2 : 1;
  const labels = counts.map((_, i) => (d.min + i * step).toFixed(digits));
  const pad = Math.max(...labels.map((l) => l.length));
  return counts
    .map(
      (n, i) =>
        `${labels[i]!.padStart(pad)} ${unit} | ${"#".repeat(Math.round((n / most) * width)).padEnd(width)} ${n}`,
    )
    .join("\n");
}
