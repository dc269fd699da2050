// What the HTML report draws, as plain data: `lpu compare --report` fills a ReportData and `renderReport` turns it
// into one self-contained HTML file. Every number is given, never recomputed from anything but these fields
// (the renderer only derives percentiles and histogram bins from the latency samples).
import type { TimeBase, Window } from "../trace/timeline.ts";

/** One machine's side of the comparison (the LPU system or the GPU system). */
export interface MachineSide {
  /** Shown as the column head: "LPU · 8 × tsp-v1", "GPU · 2 × h100-sxm". */
  readonly label: string;
  /** End-to-end latency of each run, microseconds, one per run (the K runs of `--runs K`); at least one. */
  readonly latencySamplesUs: readonly number[];
  /** Tokens per second seen by one user (one request's stream), and by all concurrent users together. */
  readonly tokensPerSecond: { readonly perUser: number; readonly total: number };
  /** Joules per generated token, all chips, dynamic plus static. */
  readonly joulesPerToken: number;
  /** Dollars per million tokens: amortised hardware plus electricity. */
  readonly usdPerMtok: number;
  /** The headline figure: tokens per second, per watt, per dollar of hardware. */
  readonly tokensPerSecPerWattPerUsd: number;
  /** Average power of all chips while busy, watts. */
  readonly watts: number;
  /** Where each token's joules go; the parts sum to about `joulesPerToken`. */
  readonly energyPerToken: {
    readonly compute: number;
    readonly sram: number;
    readonly dram: number;
    readonly link: number;
    readonly static: number;
  };
  /** `usdPerMtok` split into hardware (capital) and electricity, when the cost model gives it. */
  readonly costSplit?: { readonly capexUsdPerMtok: number; readonly energyUsdPerMtok: number };
}

/** A labelled fact about the run shown under the title ("runs": "200", "concurrency": "8"). */
export interface Condition {
  readonly label: string;
  readonly value: string;
}

/** One bar of a Gantt row: a unit busy with an instruction. Bars on one row never overlap. */
export interface GanttBar {
  readonly start: number;
  readonly duration: number;
  /** Short text: the mnemonic ("abc.fp16"). */
  readonly name: string;
  /** Colour class: "mem", "vxm", "mxm", "sxm", "c2c", "icu", "wait", "hazard" (anything else is grey). */
  readonly category: string;
  /** The tooltip's extra line: the assembly text and source line. */
  readonly detail?: string;
}

/** The LPU schedule's first microseconds, one row per unit (a unit whose work overlaps gets extra rows). */
export interface GanttData {
  /** The unit of `window` and of every bar (cycles at a clock, or ns). */
  readonly time: TimeBase;
  /** The drawn range [from, to). */
  readonly window: Window;
  /** Whose schedule this is: "chip 0 (tsp-v1)". */
  readonly title: string;
  readonly rows: readonly { readonly name: string; readonly bars: readonly GanttBar[] }[];
  /** Bars left out to keep the file small (0 when all are drawn). */
  readonly omitted: number;
}

/** Where the cycles go: a stacked bar per row (unit kind or layer), one segment per state. */
export interface Breakdown {
  /** Segment names in stack order: ["busy", "idle"] or ["computing", "waiting on SRAM", "waiting on links", "idle"]. */
  readonly states: readonly string[];
  /** One row per unit kind or layer; `cycles[i]` belongs to `states[i]`. */
  readonly rows: readonly { readonly name: string; readonly cycles: readonly number[] }[];
  /** What the numbers count, shown beside the chart: "unit-cycles over all chips". */
  readonly unit: string;
}

export interface ReportData {
  /** The page title: "tiny-gpt: LPU vs GPU". */
  readonly title: string;
  /** The model file or name. */
  readonly model: string;
  /** Run conditions shown under the title, in this order. */
  readonly conditions: readonly Condition[];
  readonly lpu: MachineSide;
  readonly gpu: MachineSide;
  readonly gantt: GanttData;
  readonly breakdown: Breakdown;
  /** Histogram bins across both machines' latencies (default 40). */
  readonly histogramBins?: number;
}
