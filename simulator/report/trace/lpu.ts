// LPU run -> Timeline. In: a fresh Simulator (nothing stepped yet). Out: one process per chip, one thread per queue
// (MEM slices grouped), an interval per instruction from its issue for as long as it occupies its unit (docs/isa.md
// slots; a sync from its issue to its release), hazards as one-cycle marks, and counters for SRAM bytes used and
// C2C bytes sent and received. Times are each chip's program cycles at the preset clock.
//
// How it observes: through the step API only. It advances the simulator one event cycle at a time (`runUntil` to
// the earliest pending cycle of any chip) and reads which queues issued in that cycle. A queue issues at most one
// instruction per cycle and its next issue is always in a later cycle, so nothing is missed. The cost is a scan of
// the still-active queues per event cycle; a `--window` stops the run at the window's end.
import type { Instruction, UnitKind } from "../../../arch/isa.ts";
import { QUEUE_KIND_ORDER } from "../../../arch/presets.ts";
import { LineIndex } from "../../../util/diagnostics.ts";
import type { QueueState } from "../../lpu/chip.ts";
import { describeInstruction } from "../../lpu/describe.ts";
import type { InstRecord } from "../../lpu/hazards.ts";
import { HAZARDS } from "../../lpu/messages.ts";
import { type Simulator, slotsOf } from "../../lpu/simulator.ts";
import type { ArgValue, Counter, Interval, Process, Thread, Timeline } from "./timeline.ts";

export interface LpuTraceOptions {
  /** Observe up to this cycle (exclusive), then stop simulating: the end of a `--window`. */
  readonly until?: number;
  /** MEM slices per thread (default 11: four threads per 44-slice hemisphere). */
  readonly memSlicesPerThread?: number;
  /** The assembly text the program came from, so intervals name their source line. */
  readonly source?: string;
  /** Facts copied into the timeline's metadata (file name, preset, seed). */
  readonly meta?: Readonly<Record<string, ArgValue>>;
}

export interface LpuTrace {
  readonly timeline: Timeline;
  /** True when the program ran to its end (false when cut at `until` or stopped by hazards). */
  readonly complete: boolean;
}

const KIND_LABEL: Readonly<Record<UnitKind, string>> = {
  mem: "MEM",
  vxm: "VXM",
  mxm: "MXM",
  sxm: "SXM",
  c2c: "C2C",
};

/** The thread a queue's instructions go on: its own, or its MEM group's. */
function threadOf(q: QueueState, memGroup: number): { key: string; name: string; order: number } {
  const kindOrder = QUEUE_KIND_ORDER.indexOf(q.kind);
  if (q.kind === "mem" && memGroup > 1) {
    const first = Math.floor(q.index / memGroup) * memGroup;
    const last = first + memGroup - 1;
    return { key: `mem${first}-${last}`, name: `MEM ${first}-${last}`, order: kindOrder * 1000 + first };
  }
  return { key: q.name, name: `${KIND_LABEL[q.kind]} ${q.index}`, order: kindOrder * 1000 + q.index };
}

function category(inst: Instruction, kind: UnitKind): string {
  switch (inst.op) {
    case "nop":
    case "notify":
    case "deskew":
      return "icu";
    case "sync":
      return "wait";
    default:
      return kind;
  }
}

interface Recorder {
  readonly thread: { key: string; name: string; order: number };
  readonly intervals: Interval[];
}

export function lpuTimeline(sim: Simulator, opts: LpuTraceOptions = {}): LpuTrace {
  if (sim.now !== 0) throw new Error("internal error: lpuTimeline needs a simulator that has not run");
  const memGroup = opts.memSlicesPerThread ?? 11;
  const lines = opts.source === undefined ? undefined : new LineIndex(opts.source);
  const until = opts.until ?? Number.POSITIVE_INFINITY;
  const m = sim.machine;

  const threads = new Map<number, Map<string, Recorder>>();
  const recorderOf = (q: QueueState): Recorder => {
    let byKey = threads.get(q.chip.id);
    if (!byKey) {
      byKey = new Map();
      threads.set(q.chip.id, byKey);
    }
    const t = threadOf(q, memGroup);
    let r = byKey.get(t.key);
    if (!r) {
      r = { thread: t, intervals: [] };
      byKey.set(t.key, r);
    }
    return r;
  };
  const argsOf = (q: QueueState, rec: InstRecord): Record<string, ArgValue> => {
    const args: Record<string, ArgValue> = {
      asm: describeInstruction(rec.placed.inst),
      queue: q.name,
      k: rec.k,
    };
    const inst = rec.placed.inst;
    // A deskew's n counts repetitions, not vectors.
    if (inst.op !== "deskew" && "n" in inst) args.vectors = inst.n;
    if (rec.placed.note) args.note = rec.placed.note;
    const span = rec.placed.span;
    if (lines && span && span.start >= 0) args.line = lines.position(span.start).line;
    return args;
  };

  let active: QueueState[] = sim.chips.flatMap((c) => c.queues);
  const seen = new Map<QueueState, number>(active.map((q) => [q, q.next]));
  /** Syncs that parked, waiting for their release to give the interval its end. */
  const waiting = new Map<QueueState, { rec: InstRecord; start: number }>();
  const sram = new Map<number, { time: number; values: number[] }[]>();
  const linkSent = new Map<number, { time: number; sent: number[]; received: number[] }[]>();
  const sample = (cycle: number) => {
    for (const chip of sim.chips) {
      const bytes = chip.sram.usedWords * m.lanes;
      const list = sram.get(chip.id) ?? [];
      if (list.at(-1)?.values[0] !== bytes) list.push({ time: cycle, values: [bytes] });
      sram.set(chip.id, list);
      const sent = chip.links.map((l) => l.sent * m.lanes);
      const received = chip.links.map((l) => l.received * m.lanes);
      const links = linkSent.get(chip.id) ?? [];
      const last = links.at(-1);
      if (!last || sent.some((x, i) => x !== last.sent[i]) || received.some((x, i) => x !== last.received[i]))
        links.push({ time: cycle, sent, received });
      linkSent.set(chip.id, links);
    }
  };
  sample(0);

  for (;;) {
    if (sim.stopped) break;
    let next = Number.POSITIVE_INFINITY;
    for (const chip of sim.chips) if (chip.heap.size > 0) next = Math.min(next, chip.heap.peekCycle());
    if (next === Number.POSITIVE_INFINITY || next >= until) break;
    sim.runUntil(next);
    let finished = false;
    for (const q of active) {
      const before = seen.get(q)!;
      if (q.next === before) continue;
      seen.set(q, q.next);
      if (q.next >= q.insts.length) finished = true;
      const rec = q.insts[q.next - 1]!;
      const inst = rec.placed.inst;
      if (inst.op === "nop") continue; // a nop is the schedule's idle time, not work
      if (inst.op === "sync") {
        if (q.parked) waiting.set(q, { rec, start: next });
        else recordSync(q, rec, next);
        continue;
      }
      recorderOf(q).intervals.push({
        start: next,
        duration: slotsOf(m, inst),
        name: describeInstruction(inst).split(" ")[0]!,
        category: category(inst, q.kind),
        args: argsOf(q, rec),
      });
    }
    for (const [q, w] of waiting) {
      if (q.parked) continue;
      waiting.delete(q);
      recordSync(q, w.rec, w.start);
    }
    if (finished) active = active.filter((q) => q.next < q.insts.length);
    sample(next);
  }
  const complete = !sim.stopped && sim.chips.every((c) => c.heap.size === 0);
  if (complete) sim.run(); // end-of-run checks (syncs never notified, words never received)
  // A sync still parked waited for the rest of what was observed.
  for (const [q, w] of waiting) {
    const end = Math.min(until, Math.max(w.start + 1, q.chip.end));
    const inst = w.rec.placed.inst as Extract<Instruction, { op: "sync" }>;
    recorderOf(q).intervals.push({
      start: w.start,
      duration: end - w.start,
      name: `sync ${inst.token}`,
      category: "wait",
      args: { ...argsOf(q, w.rec), released: false },
    });
  }

  function recordSync(q: QueueState, rec: InstRecord, start: number): void {
    // The release sets the queue resource to [done, done + 1): the next instruction may issue at done + 1.
    const held = q.resources.get("queue");
    const end = held && held.by === rec ? held.until : start + 1;
    const inst = rec.placed.inst as Extract<Instruction, { op: "sync" }>;
    recorderOf(q).intervals.push({
      start,
      duration: end - start,
      name: `sync ${inst.token}`,
      category: "wait",
      args: argsOf(q, rec),
    });
  }

  const hazardsByChip = new Map<number, Interval[]>();
  for (const h of sim.hazards) {
    if (h.cycle === undefined || h.cycle >= until) continue;
    const list = hazardsByChip.get(h.chip) ?? [];
    const args: Record<string, ArgValue> = { code: HAZARDS[h.name].code, details: h.args.join("; ") };
    if (h.inst) args.instruction = `${h.inst.queue} #${h.inst.k} ${describeInstruction(h.inst.placed.inst)}`;
    list.push({ start: h.cycle, duration: 1, name: h.name, category: "hazard", args });
    hazardsByChip.set(h.chip, list);
  }

  const processes: Process[] = sim.chips
    .map((chip) => {
      const ts: Thread[] = [...(threads.get(chip.id)?.values() ?? [])].map((r) => ({
        ...r.thread,
        intervals: r.intervals,
      }));
      const hz = hazardsByChip.get(chip.id);
      if (hz) ts.push({ key: "hazards", name: "Hazards", order: -1, intervals: hz });
      return { id: chip.id, name: `chip ${chip.id} (${m.name})`, threads: ts, counters: countersOf(chip.id) };
    })
    .sort((a, b) => a.id - b.id);

  function countersOf(chip: number): Counter[] {
    const out: Counter[] = [{ name: "SRAM bytes used", series: ["bytes"], samples: sram.get(chip) ?? [] }];
    const links = linkSent.get(chip) ?? [];
    const used = new Set<number>();
    for (const s of links)
      s.sent.forEach((x, i) => {
        if (x > 0 || s.received[i]! > 0) used.add(i);
      });
    const ids = [...used].sort((a, b) => a - b);
    if (ids.length > 0) {
      const series = ids.map((i) => `c2c${i}`);
      out.push({
        name: "C2C bytes sent",
        series,
        samples: links.map((s) => ({ time: s.time, values: ids.map((i) => s.sent[i]!) })),
      });
      out.push({
        name: "C2C bytes received",
        series,
        samples: links.map((s) => ({ time: s.time, values: ids.map((i) => s.received[i]!) })),
      });
    }
    return out;
  }

  return {
    timeline: { time: { unit: "cycles", clockMHz: m.clockMHz }, processes, meta: opts.meta },
    complete,
  };
}
