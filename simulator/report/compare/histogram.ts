// Two latency sample sets -> two text histograms drawn on one axis (the same bins, side by side), so a single line
// and a spread read at a glance; plus, for a side whose spread fits in a few shared bins, its own zoomed histogram.
// The axis ends at the larger p99 of the two; the rarer tail is one overflow row with its counts (the table gives the
// max), so a single outlier cannot squash the body into one bin.
// Guarantees: the inputs are not mutated; every sample is counted in exactly one row; same samples, same text.
import { distribution } from "../stats.ts";

interface Side {
  readonly label: string;
  readonly samples: readonly number[];
}

/** Below this many shared-bin widths, a nonzero spread is drawn again on its own axis. */
const ZOOM_BELOW_BINS = 4;

function bar(n: number, most: number, width: number, digits: number): string {
  // A bin with any sample shows at least one mark, so a lone outlier stays visible.
  const len = n === 0 ? 0 : Math.max(1, Math.round((n / most) * width));
  return `${"#".repeat(len).padEnd(width)} ${(n === 0 ? "" : String(n)).padStart(digits)}`;
}

interface Axis {
  readonly lo: number;
  readonly hi: number;
  readonly bins: number;
  readonly step: number;
}

function axisOf(sides: readonly Side[], bins: number): Axis {
  const lo = Math.min(...sides.map((s) => Math.min(...s.samples)));
  const hi = Math.max(...sides.map((s) => distribution(s.samples).p99));
  return hi > lo ? { lo, hi, bins, step: (hi - lo) / bins } : { lo, hi: lo, bins: 1, step: 1 };
}

/** Rows of one or more columns over the axis; samples above `hi` go to an overflow row. */
function draw(sides: readonly Side[], ax: Axis, width: number): string[] {
  const counts = sides.map((s) => {
    const c = new Array<number>(ax.bins + 1).fill(0);
    for (const x of s.samples)
      c[x > ax.hi ? ax.bins : Math.min(ax.bins - 1, Math.floor((x - ax.lo) / ax.step))]!++;
    return c;
  });
  // Each column is scaled to its own fullest bin, so a spread keeps its shape beside a single full bin.
  const most = counts.map((c) => Math.max(...c));
  const digitsOfCount = String(Math.max(...most)).length;
  const digits = ax.step < 0.01 ? 4 : ax.step < 0.1 ? 3 : ax.step < 10 ? 2 : 1;
  const label = (i: number) => `${i === ax.bins ? "> " : ""}${(ax.lo + i * ax.step).toFixed(digits)} us`;
  const pad = Math.max(label(ax.bins).length, "bin start".length);
  const col = width + 1 + digitsOfCount;
  const lines = [
    `  ${"bin start".padStart(pad)} | ${sides.map((s, i) => (i < sides.length - 1 ? s.label.padEnd(col) : s.label)).join(" | ")}`,
  ];
  const empty = (j: number) => j < ax.bins && counts.every((c) => c[j] === 0);
  for (let i = 0; i < ax.bins; i++) {
    if (empty(i) && empty(i + 1)) {
      // A run of empty bins is one row: the labels around it still show how wide the gap is.
      while (empty(i + 1)) i++;
      lines.push(`  ${"...".padStart(pad)} |`);
      continue;
    }
    lines.push(
      `  ${label(i).padStart(pad)} | ${counts.map((c, k) => bar(c[i]!, most[k]!, width, digitsOfCount)).join(" | ")}`.trimEnd(),
    );
  }
  if (counts.some((c) => c[ax.bins]! > 0))
    lines.push(
      `  ${label(ax.bins).padStart(pad)} | ${counts.map((c, k) => bar(c[ax.bins]!, most[k]!, width, digitsOfCount)).join(" | ")}`.trimEnd(),
    );
  return lines;
}

export function sharedHistogram(a: Side, b: Side, bins = 20, width = 28): string {
  const ax = axisOf([a, b], bins);
  const lines = draw([a, b], ax, width);
  for (const s of [a, b]) {
    const own = axisOf([s], bins);
    if (own.hi > own.lo && own.hi - own.lo < ZOOM_BELOW_BINS * ax.step) {
      lines.push("", `  ${s.label} alone, on its own axis:`, ...draw([s], own, width));
    }
  }
  return lines.join("\n");
}
