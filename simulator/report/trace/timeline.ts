// The timeline data model every trace and Gantt chart is drawn from: processes (a chip or a GPU) holding threads
// (a unit or queue) of complete intervals, plus counters, in cycles of a clock or in nanoseconds. Engines fill it
// cheaply; the writers (chrome.ts, the HTML Gantt) read it. Also: lane splitting, so no row ever holds overlapping
// intervals, and window clipping. Guarantees: pure functions, inputs never mutated, deterministic order.

/** The unit of every time in a Timeline: cycles of a clock (LPU), or nanoseconds (GPU). */
export type TimeBase = { readonly unit: "cycles"; readonly clockMHz: number } | { readonly unit: "ns" };

export type ArgValue = string | number | boolean;

/** One complete interval on a thread: a unit busy with an instruction, a kernel on an SM group, a transfer. */
export interface Interval {
  /** Start, in the timeline's unit. */
  readonly start: number;
  /** Length, in the timeline's unit; zero is allowed (an instant). */
  readonly duration: number;
  /** What ran: an instruction's mnemonic ("abc.fp16"), a kernel's name. */
  readonly name: string;
  /** A coarse class for colouring and filtering ("mxm", "sync", "kernel"). */
  readonly category: string;
  /** Operands and provenance (the assembly text, line, graph node). */
  readonly args?: Readonly<Record<string, ArgValue>>;
}

/** A unit or queue. Its intervals may overlap (pipelined instructions); writers split them with `splitLanes`. */
export interface Thread {
  /** Unique within its process: "mxm0", "mem0-10", "sm0-15". */
  readonly key: string;
  /** Shown to a person: "MXM 0", "MEM 0-10". */
  readonly name: string;
  /** Rows sort by this, then by key. */
  readonly order: number;
  readonly intervals: readonly Interval[];
}

/** A sampled quantity (SRAM bytes used, link bytes sent). Each sample gives every series its value from `time` on. */
export interface Counter {
  readonly name: string;
  /** Series names, in display order; every sample has a value for each. */
  readonly series: readonly string[];
  readonly samples: readonly { readonly time: number; readonly values: readonly number[] }[];
}

/** A chip or a GPU. */
export interface Process {
  /** Unique in the timeline; becomes the Chrome `pid`. */
  readonly id: number;
  readonly name: string;
  readonly threads: readonly Thread[];
  readonly counters: readonly Counter[];
}

export interface Timeline {
  readonly time: TimeBase;
  readonly processes: readonly Process[];
  /** Free-form facts about the run (program, preset, seed), copied into the trace's metadata. */
  readonly meta?: Readonly<Record<string, ArgValue>>;
}

/** A time window [from, to) in the timeline's unit. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** Orders strings by UTF-16 code units: unlike localeCompare, the same on every machine and locale (and fast). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function intervalEnd(iv: Interval): number {
  return iv.start + iv.duration;
}

/** Source order of intervals on a row: by start, then longer first (so an enclosing interval comes first), then
 * by name, so the result never depends on the order the engine produced them. */
export function compareIntervals(a: Interval, b: Interval): number {
  return (
    a.start - b.start ||
    b.duration - a.duration ||
    compareText(a.name, b.name) ||
    compareText(a.category, b.category)
  );
}

/** A row with no overlapping intervals: a thread, or one lane of a thread whose intervals overlap. */
export interface Lane {
  readonly threadKey: string;
  /** 0 for the thread's first lane. */
  readonly lane: number;
  readonly name: string;
  readonly intervals: readonly Interval[];
}

/**
 * Splits a thread's intervals into lanes that never overlap: intervals in `compareIntervals` order, each placed on
 * the lowest-numbered lane that is free at its start (interval-graph colouring: as few lanes as the most
 * intervals open at one time). Touching intervals ([0,4) then [4,6)) share a lane. Lane 0 keeps the thread's name;
 * lane k is named "NAME ·k+1".
 */
export function splitLanes(thread: Thread): Lane[] {
  const sorted = [...thread.intervals].sort(compareIntervals);
  const ends: number[] = [];
  const rows: Interval[][] = [];
  for (const iv of sorted) {
    let lane = ends.findIndex((e) => e <= iv.start);
    if (lane < 0) {
      lane = ends.length;
      ends.push(0);
      rows.push([]);
    }
    ends[lane] = intervalEnd(iv);
    rows[lane]!.push(iv);
  }
  return rows.map((intervals, lane) => ({
    threadKey: thread.key,
    lane,
    name: lane === 0 ? thread.name : `${thread.name} ·${lane + 1}`,
    intervals,
  }));
}

/** Threads of a process in display order. */
export function sortedThreads(p: Process): Thread[] {
  return [...p.threads].sort((a, b) => a.order - b.order || compareText(a.key, b.key));
}

/**
 * The part of a timeline inside a window: intervals cut to it (a cut one gets `clipped: true` and its full
 * extent in args), counters keep their samples inside plus the value in force at `from`. Threads and processes
 * are kept even when empty; writers decide whether to show them.
 */
export function clipTimeline(t: Timeline, w: Window): Timeline {
  if (!(w.to > w.from)) throw new Error(`internal error: empty window ${w.from}:${w.to}`);
  return {
    ...t,
    processes: t.processes.map((p) => ({
      ...p,
      threads: p.threads.map((th) => ({ ...th, intervals: clipIntervals(th.intervals, w) })),
      counters: p.counters.map((c) => clipCounter(c, w)),
    })),
  };
}

function clipIntervals(ivs: readonly Interval[], w: Window): Interval[] {
  const out: Interval[] = [];
  for (const iv of ivs) {
    const end = intervalEnd(iv);
    // An instant at the window's start belongs to it; any other interval must overlap [from, to).
    const inside =
      iv.duration === 0 ? iv.start >= w.from && iv.start < w.to : iv.start < w.to && end > w.from;
    if (!inside) continue;
    const start = Math.max(iv.start, w.from);
    const stop = Math.min(end, w.to);
    if (start === iv.start && stop === end) out.push(iv);
    else
      out.push({
        ...iv,
        start,
        duration: stop - start,
        args: { ...iv.args, clipped: true, fullStart: iv.start, fullDuration: iv.duration },
      });
  }
  return out;
}

function clipCounter(c: Counter, w: Window): Counter {
  const samples = [...c.samples].sort((a, b) => a.time - b.time);
  const kept = samples.filter((s) => s.time >= w.from && s.time < w.to);
  const before = samples.filter((s) => s.time < w.from).at(-1);
  if (before && kept[0]?.time !== w.from) kept.unshift({ time: w.from, values: before.values });
  return { ...c, samples: kept };
}

/** Parses `FROM:TO` (whole numbers, FROM < TO); undefined when malformed. */
export function parseWindow(text: string): Window | undefined {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = Number(m[2]);
  return to > from ? { from, to } : undefined;
}

/** Converts a time in the timeline's unit to microseconds. */
export function toMicros(time: TimeBase, t: number): number {
  return time.unit === "cycles" ? t / time.clockMHz : t / 1000;
}
