// Both machines' latency samples -> one SVG histogram on a shared axis: equal-width bins over the combined range,
// a bar per non-empty (machine, bin), and p50/p99 markers. Deterministic: the bins depend only on the samples.
import { distribution } from "../stats.ts";
import { esc, num, px } from "./format.ts";

export interface SharedBins {
  /** Left edge of bin 0 and the width of every bin, microseconds. */
  readonly lo: number;
  readonly width: number;
  readonly lpu: readonly number[];
  readonly gpu: readonly number[];
}

/** Equal-width bins over [min, max] of both sample sets; a single value gets a bin centred on it. */
export function sharedBins(lpu: readonly number[], gpu: readonly number[], bins: number): SharedBins {
  const all = [...lpu, ...gpu];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    const pad = Math.max(Math.abs(lo) * 0.01, 1e-3);
    lo -= pad;
    hi += pad;
  }
  const width = (hi - lo) / bins;
  const count = (xs: readonly number[]) => {
    const c = new Array<number>(bins).fill(0);
    for (const x of xs) c[Math.min(bins - 1, Math.floor((x - lo) / width))]!++;
    return c;
  };
  return { lo, width, lpu: count(lpu), gpu: count(gpu) };
}

/** Round tick steps (1, 2, 5 x 10^k) giving about `target` ticks over a range. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  // Tick i is i x step, printed at the step's decimals so 3 x 0.1 is 0.3, not 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++)
    out.push(Number((i * step).toFixed(decimals)));
  return out;
}

const W = 760;
const H = 280;
const M = { left: 56, right: 16, top: 28, bottom: 44 };
/** Width of a marker label's character, pixels (the style's 10 px sans-serif, generously). */
const LABEL_CHAR_PX = 7;

export function histogramSvg(lpu: readonly number[], gpu: readonly number[], bins: number): string {
  const b = sharedBins(lpu, gpu, bins);
  const hi = b.lo + b.width * bins;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (us: number) => M.left + ((us - b.lo) / (hi - b.lo)) * plotW;
  const most = Math.max(...b.lpu, ...b.gpu);
  const y = (n: number) => M.top + plotH - (n / most) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg id="histogram" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency histograms">`,
  );
  for (const t of niceTicks(0, most, 4)) {
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${px(y(t))}" y2="${px(y(t))}"/>`,
      `<text class="tick" x="${M.left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${num(t)}</text>`,
    );
  }
  const slot = plotW / bins;
  const draw = (counts: readonly number[], cls: "lpu" | "gpu", label: string, offset: number) => {
    counts.forEach((n, i) => {
      if (n === 0) return;
      const from = b.lo + i * b.width;
      const top = Math.min(y(n), M.top + plotH - 2); // a non-empty bin is always visible
      parts.push(
        `<rect class="bar ${cls}" data-count="${n}" x="${px(M.left + i * slot + offset * slot * 0.5)}" y="${px(top)}" width="${px(Math.max(1, slot * 0.5 - 0.5))}" height="${px(M.top + plotH - top)}"><title>${esc(label)}: ${n} run${n === 1 ? "" : "s"} in ${num(from)}–${num(from + b.width)} µs</title></rect>`,
      );
    });
  };
  draw(b.lpu, "lpu", "LPU", 0);
  draw(b.gpu, "gpu", "GPU", 1);
  const markers = (samples: readonly number[], cls: string, row: number) => {
    const d = distribution(samples);
    const y0 = M.top - 6 - row * 11;
    const same = Math.abs(x(d.p99) - x(d.p50)) < 2;
    for (const [name, v] of [
      ["p50", d.p50],
      ["p99", d.p99],
    ] as const) {
      const xx = x(v);
      parts.push(
        `<line class="marker ${cls}" x1="${px(xx)}" x2="${px(xx)}" y1="${M.top}" y2="${M.top + plotH}"><title>${cls.toUpperCase()} ${name} ${num(v)} µs</title></line>`,
      );
      // p50 is labelled to the left of its line and p99 to the right; when they coincide, one label says so.
      if (same && name === "p99") continue;
      const text = same ? "p50 = p99" : name;
      // A label that would run past the chart's right edge goes on the left of its line instead.
      const right = (same || name === "p99") && xx + 3 + LABEL_CHAR_PX * text.length <= W;
      const anchor = right ? "start" : "end";
      const tx = right ? xx + 3 : xx - 3;
      parts.push(
        `<text class="marker-label ${cls}" x="${px(tx)}" y="${px(y0)}" text-anchor="${anchor}">${text}</text>`,
      );
    }
  };
  markers(lpu, "lpu", 0);
  markers(gpu, "gpu", 1);
  parts.push(
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>`,
  );
  for (const t of niceTicks(b.lo, hi)) {
    if (t < b.lo || t > hi) continue;
    parts.push(
      `<text class="tick" x="${px(x(t))}" y="${M.top + plotH + 16}" text-anchor="middle">${num(t)}</text>`,
    );
  }
  parts.push(
    `<text class="axis-label" x="${M.left + plotW / 2}" y="${H - 6}" text-anchor="middle">latency per run (µs), ${bins} bins of ${num(b.width)} µs</text>`,
    `<text class="axis-label" transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">runs</text>`,
    "</svg>",
  );
  return parts.join("\n");
}
