// Timeline -> Chrome Trace Event format (the JSON chrome://tracing and Perfetto load). Out: metadata events
// (`ph: "M"`) naming every process and every thread used, complete events (`ph: "X"`, microseconds, fractional)
// and counters (`ph: "C"`). Guarantees: no two X events on one thread overlap (overlapping source intervals are
// split onto lanes, each its own thread), timestamps are exact multiples of a picosecond so touching intervals
// stay touching, and the text is byte-identical for the same timeline.
import {
  type ArgValue,
  clipTimeline,
  compareText,
  type Lane,
  sortedThreads,
  splitLanes,
  type Timeline,
  toMicros,
  type Window,
} from "./timeline.ts";

export type Phase = "M" | "X" | "C";

export interface ChromeEvent {
  readonly name: string;
  readonly ph: Phase;
  readonly pid: number;
  /** Absent on counters (Chrome keys counters by process and name). */
  readonly tid?: number;
  /** Microseconds; absent on metadata. */
  readonly ts?: number;
  /** Microseconds; X only. */
  readonly dur?: number;
  readonly cat?: string;
  readonly args?: Readonly<Record<string, ArgValue>>;
}

export interface ChromeTrace {
  readonly traceEvents: readonly ChromeEvent[];
  readonly displayTimeUnit: "ns";
  readonly otherData: Readonly<Record<string, ArgValue>>;
}

/** Timestamps are rounded to whole picoseconds: exact to print, and the same rounding for a start and an end. */
const PS_PER_US = 1_000_000;

export function toChromeTrace(t: Timeline, window?: Window): ChromeTrace {
  const clipped = window ? clipTimeline(t, window) : t;
  const ps = (x: number) => Math.round(toMicros(t.time, x) * PS_PER_US);
  const meta: ChromeEvent[] = [];
  const timed: ChromeEvent[] = [];
  const processes = [...clipped.processes].sort((a, b) => a.id - b.id);
  for (const [order, p] of processes.entries()) {
    meta.push({ name: "process_name", ph: "M", pid: p.id, tid: 0, args: { name: p.name } });
    meta.push({ name: "process_sort_index", ph: "M", pid: p.id, tid: 0, args: { sort_index: order } });
    const lanes: Lane[] = [];
    for (const th of sortedThreads(p)) lanes.push(...splitLanes(th));
    let tid = 0;
    for (const lane of lanes) {
      if (lane.intervals.length === 0) continue;
      tid++;
      meta.push({ name: "thread_name", ph: "M", pid: p.id, tid, args: { name: lane.name } });
      meta.push({ name: "thread_sort_index", ph: "M", pid: p.id, tid, args: { sort_index: tid } });
      for (const iv of lane.intervals) {
        const start = ps(iv.start);
        const end = ps(iv.start + iv.duration);
        const extra: Record<string, ArgValue> =
          t.time.unit === "cycles" ? { cycle: iv.start, cycles: iv.duration } : {};
        timed.push({
          name: iv.name,
          ph: "X",
          pid: p.id,
          tid,
          ts: start / PS_PER_US,
          dur: (end - start) / PS_PER_US,
          cat: iv.category,
          args: sortArgs({ ...extra, ...iv.args }),
        });
      }
    }
    for (const c of [...p.counters].sort((a, b) => compareText(a.name, b.name))) {
      for (const s of [...c.samples].sort((a, b) => a.time - b.time)) {
        const args: Record<string, number> = {};
        c.series.forEach((name, i) => {
          args[name] = s.values[i] ?? 0;
        });
        timed.push({ name: c.name, ph: "C", pid: p.id, ts: ps(s.time) / PS_PER_US, args });
      }
    }
  }
  timed.sort(compareTimed);
  const otherData: Record<string, ArgValue> = {
    ...clipped.meta,
    timeUnit: t.time.unit,
    ...(t.time.unit === "cycles" ? { clockMHz: t.time.clockMHz } : {}),
    ...(window ? { windowFrom: window.from, windowTo: window.to } : {}),
  };
  return { traceEvents: [...meta, ...timed], displayTimeUnit: "ns", otherData: sortArgs(otherData) };
}

function compareTimed(a: ChromeEvent, b: ChromeEvent): number {
  return (
    a.ts! - b.ts! ||
    a.pid - b.pid ||
    (a.tid ?? -1) - (b.tid ?? -1) ||
    compareText(a.ph, b.ph) ||
    compareText(a.name, b.name)
  );
}

function sortArgs<V>(args: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(args).sort()) out[k] = args[k]!;
  return out;
}

/** The trace as text: one event per line (readable, diffable), keys in a fixed order. */
export function formatChromeTrace(trace: ChromeTrace): string {
  const lines = trace.traceEvents.map((e) => `  ${JSON.stringify(orderKeys(e))}`);
  return `{"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)},"otherData":${JSON.stringify(trace.otherData)},"traceEvents":[\n${lines.join(",\n")}\n]}\n`;
}

function orderKeys(e: ChromeEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ph: e.ph, name: e.name, pid: e.pid };
  if (e.tid !== undefined) out.tid = e.tid;
  if (e.ts !== undefined) out.ts = e.ts;
  if (e.dur !== undefined) out.dur = e.dur;
  if (e.cat !== undefined) out.cat = e.cat;
  if (e.args !== undefined) out.args = e.args;
  return out;
}
