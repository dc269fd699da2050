// The timeline model and the Chrome trace writer: lanes never overlap, clipping, determinism, and the validator
// accepting what the writer produces and rejecting each broken rule.
import { describe, expect, it } from "vitest";
import { formatChromeTrace, toChromeTrace } from "../../../simulator/report/trace/chrome.ts";
import {
  clipTimeline,
  type Interval,
  parseWindow,
  splitLanes,
  type Thread,
  type Timeline,
} from "../../../simulator/report/trace/timeline.ts";
import { validateChromeTrace } from "../../../simulator/report/trace/validate.ts";
import { smallTimeline } from "./fixtures.ts";

const iv = (start: number, duration: number, name = "op"): Interval => ({
  start,
  duration,
  name,
  category: "mxm",
});

const thread = (intervals: Interval[], key = "mxm0"): Thread => ({ key, name: "MXM 0", order: 0, intervals });

describe("lanes", () => {
  it("overlapping intervals of one unit go on as few lanes as the most open at once, touching ones share", () => {
    const lanes = splitLanes(thread([iv(0, 10), iv(5, 10), iv(10, 5), iv(12, 1), iv(15, 1)]));
    expect(lanes.map((l) => l.intervals.map((x) => [x.start, x.duration]))).toEqual([
      [
        [0, 10],
        [10, 5],
        [15, 1],
      ],
      [[5, 10]],
      [[12, 1]],
    ]);
    expect(lanes.map((l) => l.name)).toEqual(["MXM 0", "MXM 0 ·2", "MXM 0 ·3"]);
  });

  it("the lanes do not depend on the order the engine produced the intervals in", () => {
    const ivs = [iv(3, 4, "b"), iv(0, 5, "a"), iv(3, 4, "a"), iv(9, 0, "z"), iv(1, 1, "c")];
    const a = splitLanes(thread(ivs));
    const b = splitLanes(thread([...ivs].reverse()));
    expect(b).toEqual(a);
  });
});

describe("window", () => {
  it("--window parses FROM:TO with FROM < TO and rejects anything else", () => {
    expect(parseWindow("10:20")).toEqual({ from: 10, to: 20 });
    expect(parseWindow(" 0 : 5 ")).toEqual({ from: 0, to: 5 });
    for (const bad of ["20:10", "5:5", "a:b", "-1:4", "1:", "1.5:3"])
      expect(parseWindow(bad)).toBeUndefined();
  });

  it("clipping cuts intervals to the window, marks them, and keeps the counter value in force at FROM", () => {
    const t = clipTimeline(smallTimeline(), { from: 20, to: 110 });
    const chip0 = t.processes.find((p) => p.id === 0)!;
    const mxm = chip0.threads.find((th) => th.key === "mxm0")!;
    expect(mxm.intervals.map((x) => [x.name, x.start, x.duration])).toEqual([
      ["lw.int8", 20, 90],
      ["abc.int8", 100, 10],
    ]);
    expect(mxm.intervals[0]!.args).toMatchObject({ clipped: true, fullStart: 5, fullDuration: 320 });
    expect(mxm.intervals[1]!.args).toBeUndefined();
    const sent = t.processes.find((p) => p.id === 1)!.counters[0]!;
    expect(sent.samples).toEqual([{ time: 20, values: [640] }]);
  });
});

describe("Chrome trace writer", () => {
  it("the fixture's trace is valid and matches its golden file", async () => {
    const text = formatChromeTrace(toChromeTrace(smallTimeline()));
    expect(validateChromeTrace(JSON.parse(text))).toEqual([]);
    await expect(text).toMatchFileSnapshot("./golden/small.trace.json");
  });

  it("complete events are in microseconds at the clock: 900 cycles are 1 us", () => {
    const t: Timeline = {
      time: { unit: "cycles", clockMHz: 900 },
      processes: [{ id: 0, name: "c", threads: [thread([iv(900, 1800)])], counters: [] }],
    };
    const x = toChromeTrace(t).traceEvents.find((e) => e.ph === "X")!;
    expect([x.ts, x.dur]).toEqual([1, 2]);
    const ns: Timeline = { ...t, time: { unit: "ns" } };
    const y = toChromeTrace(ns).traceEvents.find((e) => e.ph === "X")!;
    expect([y.ts, y.dur]).toEqual([0.9, 1.8]);
  });

  it("overlapping intervals on one unit become separate threads, each named, none overlapping", () => {
    const trace = toChromeTrace(smallTimeline());
    const names = trace.traceEvents
      .filter((e) => e.name === "thread_name" && e.pid === 0)
      .map((e) => e.args!.name);
    expect(names).toEqual(["MEM 0-10", "MXM 0", "MXM 0 ·2"]);
    expect(validateChromeTrace(trace)).toEqual([]);
  });

  it("threads with no events in the trace get no metadata (the idle VXM 3 is absent)", () => {
    const trace = toChromeTrace(smallTimeline());
    expect(trace.traceEvents.some((e) => e.args?.name === "VXM 3")).toBe(false);
  });

  it("same timeline, shuffled input order: byte-identical text", () => {
    const a = formatChromeTrace(toChromeTrace(smallTimeline()));
    const t = smallTimeline();
    const shuffled: Timeline = {
      ...t,
      processes: [...t.processes].reverse().map((p) => ({
        ...p,
        threads: [...p.threads].reverse().map((th) => ({ ...th, intervals: [...th.intervals].reverse() })),
      })),
    };
    expect(formatChromeTrace(toChromeTrace(shuffled))).toBe(a);
  });

  it("a windowed trace is valid and records its window", () => {
    const trace = toChromeTrace(smallTimeline(), { from: 20, to: 110 });
    expect(validateChromeTrace(trace)).toEqual([]);
    expect(trace.otherData).toMatchObject({ windowFrom: 20, windowTo: 110 });
    for (const e of trace.traceEvents.filter((x) => x.ph === "X")) {
      // Timestamps are whole picoseconds: within 1e-6 us of the exact cycle time.
      expect(e.ts!).toBeGreaterThanOrEqual(20 / 900 - 1e-6);
      expect(e.ts! + e.dur!).toBeLessThanOrEqual(110 / 900 + 1e-6);
      expect(e.args!.cycle as number).toBeGreaterThanOrEqual(20);
      expect((e.args!.cycle as number) + (e.args!.cycles as number)).toBeLessThanOrEqual(110);
    }
  });
});

/** A parsed event, loosely typed so tests can break it. */
type Ev = Record<string, unknown> & { ph: string; pid: number; tid?: number; ts?: number; dur?: number };

describe("validator", () => {
  const good = () => JSON.parse(formatChromeTrace(toChromeTrace(smallTimeline()))) as { traceEvents: Ev[] };
  const messages = (t: unknown) => validateChromeTrace(t).map((p) => p.message);

  it("rejects a file without traceEvents", () => {
    expect(messages({})).toEqual(["no traceEvents array"]);
  });

  it("rejects overlapping complete events on one thread", () => {
    const t = good();
    const x = t.traceEvents.filter((e) => e.ph === "X" && e.pid === 0 && e.tid === 2);
    x[1]!.ts = x[0]!.ts! + x[0]!.dur! / 2;
    expect(messages(t).some((m) => m.includes("overlaps"))).toBe(true);
  });

  it("rejects complete events out of time order on a thread", () => {
    const t = good();
    const [a, b] = t.traceEvents.filter((e) => e.ph === "X" && e.pid === 0 && e.tid === 2);
    const ia = t.traceEvents.indexOf(a);
    const ib = t.traceEvents.indexOf(b);
    [t.traceEvents[ia], t.traceEvents[ib]] = [b, a];
    expect(messages(t).some((m) => m.includes("is before the previous event"))).toBe(true);
  });

  it("rejects a negative duration and a missing dur", () => {
    const t = good();
    const xs = t.traceEvents.filter((e) => e.ph === "X");
    xs[0].dur = -1;
    delete xs[1].dur;
    const m = messages(t);
    expect(m).toContain("negative duration -1");
    expect(m).toContain("complete event without dur");
  });

  it("rejects a thread or process used without naming metadata", () => {
    const t = good();
    t.traceEvents = t.traceEvents.filter(
      (e) => !(e.name === "thread_name" && e.pid === 1) && !(e.name === "process_name" && e.pid === 1),
    );
    const m = messages(t);
    expect(m).toContain("thread 1:1 has no thread_name");
    expect(m).toContain("process 1 has no process_name");
  });

  it("rejects counters without numeric series, unknown phases and events without a name", () => {
    const t = good();
    t.traceEvents.push({ ph: "C", name: "c", pid: 0, ts: 1, args: { a: "x" } });
    t.traceEvents.push({ ph: "B", name: "b", pid: 0, tid: 1, ts: 1 });
    t.traceEvents.push({ ph: "X", pid: 0, tid: 1, ts: 99, dur: 1 });
    const m = messages(t);
    expect(m).toContain("counter series 'a' is not a number");
    expect(m).toContain("unsupported phase 'B'");
    expect(m).toContain("missing name");
  });
});
