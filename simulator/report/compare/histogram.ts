// Two latency sample sets -> two text histograms drawn on one axis (the same bins, side by side), so a single line
// and a spread read at a glance; plus, for a side whose spread fits in a few shared bins, its own zoomed histogram.
// Guarantees: the inputs are not mutated; the same samples give the same text.
import { histogram } from "../stats.ts";

interface Side {
  readonly label: string;
  readonly samples: readonly number[];
}

/** Below this many occupied-bin widths, a nonzero spread is drawn again on its own axis. */
const ZOOM_BELOW_BINS = 4;

function bar(n: number, most: number, width: number): string {
  // A bin with any sample shows at least one mark, so a lone outlier stays visible.
  const len = n === 0 ? 0 : Math.max(1, Math.round((n / most) * width));
  return `${"#".repeat(len).padEnd(width)} ${(n === 0 ? "" : String(n)).padStart(String(most).length)}`;
}

export function sharedHistogram(a: Side, b: Side, bins = 20, width = 28): string {
  const lo = Math.min(...a.samples, ...b.samples);
  const hi = Math.max(...a.samples, ...b.samples);
  const step = hi > lo ? (hi - lo) / bins : 1;
  const n = hi > lo ? bins : 1;
  const count = (xs: readonly number[]) => {
    const c = new Array<number>(n).fill(0);
    for (const x of xs) c[Math.min(n - 1, Math.floor((x - lo) / step))]!++;
    return c;
  };
  const ca = count(a.samples);
  const cb = count(b.samples);
  const most = Math.max(...ca, ...cb);
  const digits = step < 0.01 ? 4 : step < 0.1 ? 3 : step < 10 ? 2 : 1;
  const labels = ca.map((_, i) => `${(lo + i * step).toFixed(digits)} us`);
  const pad = Math.max(...labels.map((l) => l.length), "bin start".length);
  const col = width + 1 + String(most).length;
  const lines = [`  ${"bin start".padStart(pad)} | ${a.label.padEnd(col)} | ${b.label}`];
  const empty = (j: number) => j < n && ca[j] === 0 && cb[j] === 0;
  for (let i = 0; i < n; i++) {
    if (empty(i) && empty(i + 1)) {
      // A run of empty bins is one row: the labels around it still show how wide the gap is.
      while (empty(i + 1)) i++;
      lines.push(`  ${"...".padStart(pad)} |`);
      continue;
    }
    lines.push(
      `  ${labels[i]!.padStart(pad)} | ${bar(ca[i]!, most, width)} | ${bar(cb[i]!, most, width)}`.trimEnd(),
    );
  }
  for (const s of [a, b]) {
    const sMin = Math.min(...s.samples);
    const sMax = Math.max(...s.samples);
    if (sMax > sMin && sMax - sMin < ZOOM_BELOW_BINS * step) {
      lines.push("", `  ${s.label} alone, on its own axis:`);
      lines.push(
        ...histogram(s.samples)
          .split("\n")
          .map((x) => `  ${x}`),
      );
    }
  }
  return lines.join("\n");
}
