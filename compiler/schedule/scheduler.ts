// Pass `schedule`: allocated task IR -> Schedule. A list scheduler over tasks with reservation tables: tasks are
// taken in order of critical-path priority (longest estimated path to the end of the program, ties by list
// order) among those whose predecessors are placed, and each is put at the earliest start where its dependencies
// are met (SRAM data written, MXM weights installed, accumulators free) and every queue, bank port and stream it
// needs is free. MXM work is grouped per output tile onto one of the planes, so weight loads on one plane overlap
// compute on the others. Deterministic: no randomness, no iteration over unordered keys.
import type { StreamRef } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { blockOf, type Placement, type Task, type TaskGraph } from "../passes/task-ir.ts";
import { type Geometry, type Instance, taskGeometry } from "./geometry.ts";
import { buildInstructions } from "./instructions.ts";
import { IntervalSet, StreamTable, Tables } from "./resources.ts";
import type { Schedule, ScheduledInst, TaskTimes } from "./schedule-ir.ts";
import {
  abcResultOffset,
  lastEventOffset,
  linkLeaves,
  mxmCyclesPerVector,
  writeReadableOffset,
} from "./timing.ts";

interface PlaneState {
  owner?: string;
  stagingFree: number;
  arrayFree: number;
  accFree: number;
}

interface GroupState {
  plane: number;
  /** The plane's state (private to the group when resources are relaxed). */
  state: PlaneState;
  lwEnd: number;
  weightsReady: number;
  resultsReady: number;
}

type Res =
  | { kind: "queue" | "bank"; key: string; s: number; e: number }
  | { kind: "stream"; key: string; w0: number; w1: number; lo: number; hi: number };

export interface Choice {
  /** VXM ALU per instance (undefined for fixed units). */
  readonly alu: (number | undefined)[];
  /** Base stream and direction per flow group. */
  readonly streams: StreamRef[];
}

export interface ScheduleOptions {
  /** Ignore every resource (queues, banks, streams, MXM planes shared between groups): what is left is the
   * critical path of fixed latencies and dependencies, a lower bound on any schedule. No instructions. */
  readonly relaxed?: boolean;
}

export function schedule(g: TaskGraph, m: Machine, opts: ScheduleOptions = {}): Schedule {
  const relaxed = opts.relaxed ?? false;
  const placements = new Map<string, Placement>((g.placements ?? []).map((p) => [p.tensor, p]));
  const queues = new Tables(() => new IntervalSet());
  const banks = new Tables(() => new IntervalSet());
  const streams = new Tables(() => new StreamTable());
  const tileReady = new Map<string, number>();
  const tileReadEnd = new Map<string, number>();
  const planes: PlaneState[][] = [];
  const groupState = new Map<string, GroupState>();
  const insts: ScheduledInst[] = [];
  const times: TaskTimes[] = [];
  let cycles = 0;
  /** Issue cycle of each placed send step, by task id: its receiver's earliest start follows from it. */
  const sendAt = new Map<string, number>();
  // Chips that talk align once with `deskew` in cycle 0 (docs/isa.md: then arrivals are exactly F + L_link for
  // about 2,500 cycles; longer programs would need a deskew per such stretch: not built yet).
  const multiChip = g.tasks.some((t) => t.steps.some((st) => st.kind === "send"));
  if (multiChip && !relaxed) {
    const deskewLink = new Map<number, number>();
    for (const t of g.tasks)
      for (const st of t.steps)
        if (st.kind === "send" || st.kind === "recv")
          deskewLink.set(t.chip, Math.min(deskewLink.get(t.chip) ?? st.link, st.link));
    for (const [chip, link] of [...deskewLink].sort((a, b) => a[0] - b[0])) {
      queues.get(`${chip}/c2c${link}/issue`).add(0, 1);
      insts.push({
        chip,
        queue: { kind: "c2c", index: link },
        cycle: 0,
        inst: { op: "deskew" },
        busy: 1,
        resource: "queue",
        task: "deskew",
        op: "deskew",
      });
    }
  }
  const bankSize = m.mem.wordsPerSlice / m.mem.banksPerSlice;

  const planesOf = (chip: number) => {
    while (planes.length <= chip) planes.push([]);
    const ps = planes[chip]!;
    while (ps.length < m.mxm.planes) ps.push({ stagingFree: 0, arrayFree: 0, accFree: 0 });
    return ps;
  };

  // Priorities: estimated task length plus the longest path after it.
  const index = new Map(g.tasks.map((t, i) => [t.id, i]));
  const succs: number[][] = g.tasks.map(() => []);
  g.tasks.forEach((t, i) => {
    for (const a of t.after) succs[index.get(a)!]!.push(i);
  });
  const priority = new Array<number>(g.tasks.length).fill(0);
  for (let i = g.tasks.length - 1; i >= 0; i--) {
    let best = 0;
    for (const s of succs[i]!) best = Math.max(best, priority[s]!);
    priority[i] = estimate(g.tasks[i]!, m) + best;
  }

  // Group bookkeeping: a group may take a plane early (only its first task ready) while at least one other plane
  // stays free for groups whose inputs are all placed, so early groups can never hold every plane (no deadlock).
  const groupTasks = new Map<string, number[]>();
  g.tasks.forEach((t, i) => {
    if (t.mxmGroup) groupTasks.set(t.mxmGroup, [...(groupTasks.get(t.mxmGroup) ?? []), i]);
  });
  const placed = new Array<boolean>(g.tasks.length).fill(false);
  const groupInputsPlaced = (group: string): boolean => {
    const members = new Set(groupTasks.get(group)!.map((i) => g.tasks[i]!.id));
    return groupTasks
      .get(group)!
      .every((i) => g.tasks[i]!.after.every((a) => members.has(a) || placed[index.get(a)!]));
  };

  const pending = new Array<number>(g.tasks.length).fill(0);
  g.tasks.forEach((t, i) => {
    pending[i] = t.after.length;
  });
  let ready: number[] = g.tasks.map((_, i) => i).filter((i) => pending[i] === 0);
  const before = (a: number, b: number) => priority[b]! - priority[a]! || a - b;

  while (ready.length > 0) {
    ready.sort(before);
    let pick = -1;
    let plane: number | undefined;
    for (const i of ready) {
      const t = g.tasks[i]!;
      if (!t.mxmGroup) {
        pick = i;
        break;
      }
      const gs = groupState.get(t.mxmGroup);
      if (gs) {
        pick = i;
        plane = gs.plane;
        break;
      }
      if (relaxed) {
        // Unlimited planes: the group gets a private plane state at the position where it finishes first.
        pick = i;
        const trials = Array.from({ length: m.mxm.planes }, (_, k) => {
          const state = { stagingFree: 0, arrayFree: 0, accFree: 0 };
          const trial: GroupState = { plane: k, state, lwEnd: 0, weightsReady: 0, resultsReady: 0 };
          return { k, state, end: findPlacement(t, k, trial).lastIssue };
        });
        const best = trials.sort((x, y) => x.end - y.end || x.k - y.k)[0]!;
        plane = best.k;
        groupState.set(t.mxmGroup, { plane, state: best.state, lwEnd: 0, weightsReady: 0, resultsReady: 0 });
        break;
      }
      const ps = planesOf(t.chip);
      const free = ps.map((p, k) => (p.owner === undefined ? k : -1)).filter((k) => k >= 0);
      if (free.length === 0 || (free.length === 1 && !groupInputsPlaced(t.mxmGroup))) continue;
      // The plane where the group's first task (its weight load) would finish first.
      const finish = free.map((k) => {
        const trial: GroupState = { plane: k, state: ps[k]!, lwEnd: 0, weightsReady: 0, resultsReady: 0 };
        return findPlacement(t, k, trial).lastIssue;
      });
      const best = free
        .map((k, n) => [k, finish[n]!] as const)
        .sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]!;
      pick = i;
      plane = best[0];
      ps[plane]!.owner = t.mxmGroup;
      groupState.set(t.mxmGroup, { plane, state: ps[plane]!, lwEnd: 0, weightsReady: 0, resultsReady: 0 });
      break;
    }
    invariant(pick >= 0, "scheduler deadlock: every ready task waits for an MXM plane");
    ready = ready.filter((i) => i !== pick);
    const task = g.tasks[pick]!;
    placeTask(task, plane);
    placed[pick] = true;
    for (const s of succs[pick]!) if (--pending[s]! === 0) ready.push(s);
  }
  invariant(
    placed.every((p) => p),
    "scheduler left tasks unplaced (a dependency cycle)",
  );
  return { graph: g, insts, tasks: times, cycles };

  /** Where the task would go with this plane: its start, choices, and the cycle its last step issues. */
  function findPlacement(task: Task, plane: number | undefined, gs: GroupState | undefined) {
    const geo = taskGeometry(m, task, placements, plane);
    const chip = task.chip;
    const ps = gs?.state;
    // Lower bound on the start from data and MXM state (after the deskew of cycle 0 when chips talk).
    let lower = multiChip ? 1 : 0;
    let stateBound = 0;
    geo.instances.forEach((inst) => {
      const s = task.steps[inst.step]!;
      const need = (cycle: number, isState = false) => {
        lower = Math.max(lower, cycle - inst.rel);
        if (isState) stateBound = Math.max(stateBound, cycle - inst.rel);
      };
      switch (s.kind) {
        case "read":
          need(tileReady.get(`${s.ref.tensor}/${s.ref.tile}`) ?? 0);
          break;
        case "write": {
          const tp = blockOf(placements.get(s.ref.tensor)!, s.ref.tile, s.ref.row);
          for (const r of tp.reuses ?? []) need(tileReadEnd.get(r) ?? 0);
          break;
        }
        case "lw":
          need(ps!.stagingFree, true);
          break;
        case "iw":
          need(gs!.lwEnd, true);
          need(ps!.arrayFree, true);
          break;
        case "abc":
          need(gs!.weightsReady, true);
          if (!s.accumulate) need(ps!.accFree, true);
          break;
        case "acc":
          need(gs!.resultsReady, true);
          break;
        case "recv": {
          // Vector i's last word leaves the sender linkLeaves(...) after the send issues and arrives L_link later.
          const ts = sendAt.get(s.from);
          invariant(ts !== undefined, `${task.id} receives from ${s.from}, which is not placed`);
          const b = ELEM_BYTES[s.type];
          let need0 = 0;
          for (let i = 0; i < s.n; i++) need0 = Math.max(need0, linkLeaves(m, (i + 1) * b - 1) - i);
          need(ts + need0 + m.c2c.latency);
          break;
        }
        default:
          break;
      }
    });
    const readyAt = lower;
    let start = lower;
    let waitedOn: TaskTimes["waitedOn"] = stateBound > 0 && stateBound === lower ? "mxm" : "none";
    let choice: Choice | undefined;
    for (let tries = 0; ; tries++) {
      const r = relaxed
        ? { shift: 0, kind: "queue" as const, choice: anyChoice(geo) }
        : tryAt(geo, chip, start);
      if (r.shift === 0) {
        choice = r.choice;
        break;
      }
      if (waitedOn === "none") waitedOn = r.kind;
      start += r.shift;
      // Every shift clears a conflict with a placed instruction, so the search ends once it passes them all;
      // a search that does not end means the task conflicts with itself (a bug in tile, allocate or geometry).
      invariant(tries < 1e6, `task ${task.id} found no start: it conflicts with itself`);
    }
    const lastIssue = start + Math.max(...geo.instances.map((i) => i.rel));
    return { geo, chip, readyAt, start, waitedOn, choice: choice!, lastIssue };
  }

  function placeTask(task: Task, plane: number | undefined): void {
    const gs = task.mxmGroup ? groupState.get(task.mxmGroup)! : undefined;
    const ps = gs?.state;
    const { geo, chip, readyAt, start, waitedOn, choice } = findPlacement(task, plane, gs);
    // Commit reservations and state.
    if (!relaxed) for (const res of reservations(geo, chip, start, choice!)) commit(res);
    let end = start;
    geo.instances.forEach((inst) => {
      const t = start + inst.rel;
      const s = task.steps[inst.step]!;
      const last = inst.timing.n > 0 ? inst.timing.n - 1 : 0;
      const done = t + lastEventOffset(m, s, inst.spacing) + 1;
      switch (s.kind) {
        case "read": {
          const k = `${s.ref.tensor}/${s.ref.tile}`;
          tileReadEnd.set(k, Math.max(tileReadEnd.get(k) ?? 0, done));
          break;
        }
        case "write": {
          const k = `${s.ref.tensor}/${s.ref.tile}`;
          tileReady.set(k, Math.max(tileReady.get(k) ?? 0, t + writeReadableOffset(m, last)));
          break;
        }
        case "lw":
          gs!.lwEnd = t + s.n;
          break;
        case "iw":
          ps!.stagingFree = t + 1;
          gs!.weightsReady = t + m.mxm.installLatency;
          break;
        case "abc":
          ps!.arrayFree = t + s.n * mxmCyclesPerVector(m, s.type);
          gs!.resultsReady = t + abcResultOffset(m, s.type, s.n - 1);
          break;
        case "acc":
          ps!.accFree = t + s.n;
          break;
        case "send":
          sendAt.set(task.id, t);
          break;
        default:
          break;
      }
      end = Math.max(end, done);
    });
    if (task.mxmGroupEnd && ps) {
      if (ps.owner === task.mxmGroup) ps.owner = undefined;
      groupState.delete(task.mxmGroup!);
    }
    cycles = Math.max(cycles, end);
    times.push({ task: task.id, op: task.op, ready: readyAt, start, end, waitedOn });
    if (!relaxed) insts.push(...buildInstructions(task, geo, chip, start, choice!));
  }

  function anyChoice(geo: Geometry): Choice {
    return {
      alu: geo.instances.map(() => 0),
      streams: geo.groups.map((grp) => ({ id: 0, dir: grp.dir ?? "e" })),
    };
  }

  /** Tries to start the task at `start`: the choice of ALUs and streams, or the shift needed. */
  function tryAt(
    geo: Geometry,
    chip: number,
    start: number,
  ): { shift: number; kind: Res["kind"]; choice?: Choice } {
    const local: Res[] = [];
    let shift = 0;
    let kind: Res["kind"] = "queue";
    const note = (c: number, k: Res["kind"]) => {
      if (c > shift) {
        shift = c;
        kind = k;
      }
    };
    const alu: (number | undefined)[] = [];
    for (const inst of geo.instances) {
      if (inst.unit === "vxm") {
        let best = Number.POSITIVE_INFINITY;
        let chosen: number | undefined;
        for (let a = 0; a < m.vxm.alus && chosen === undefined; a++) {
          const rs = unitRes(inst, chip, start, `vxm${a}`);
          const c = conflictAll(rs, local);
          if (c === 0) {
            chosen = a;
            local.push(...rs);
          } else best = Math.min(best, c);
        }
        alu.push(chosen);
        if (chosen === undefined) note(best, "queue");
      } else {
        alu.push(undefined);
        const rs = unitRes(inst, chip, start, `${inst.unit}${inst.index}`);
        const c = conflictAll(rs, local);
        if (c > 0) note(c, "queue");
        else local.push(...rs);
        const bs = bankRes(inst, chip, start);
        const cb = conflictAll(bs, local);
        if (cb > 0) note(cb, "bank");
        else local.push(...bs);
      }
    }
    const chosenStreams: StreamRef[] = [];
    geo.groups.forEach((grp, gi) => {
      const bytes = grp.flows.length;
      const dirs: ("e" | "w")[] = grp.dir ? [grp.dir] : ["e", "w"];
      let best = Number.POSITIVE_INFINITY;
      let chosen: StreamRef | undefined;
      for (const dir of dirs)
        for (let id = 0; id + bytes <= m.streamsPerDirection && !chosen; id++) {
          const rs = flowRes(geo, gi, chip, start, { id, dir });
          const c = conflictAll(rs, local);
          if (c === 0) {
            chosen = { id, dir };
            local.push(...rs);
          } else best = Math.min(best, c);
        }
      if (chosen) chosenStreams.push(chosen);
      else {
        chosenStreams.push({ id: 0, dir: dirs[0]! });
        note(best, "stream");
      }
    });
    return shift > 0 ? { shift, kind } : { shift: 0, kind, choice: { alu, streams: chosenStreams } };
  }

  function reservations(geo: Geometry, chip: number, start: number, choice: Choice): Res[] {
    const out: Res[] = [];
    geo.instances.forEach((inst, i) => {
      const q = inst.unit === "vxm" ? `vxm${choice.alu[i]}` : `${inst.unit}${inst.index}`;
      out.push(...unitRes(inst, chip, start, q), ...bankRes(inst, chip, start));
    });
    geo.groups.forEach((_, gi) => {
      out.push(...flowRes(geo, gi, chip, start, choice.streams[gi]!));
    });
    return out;
  }

  /** The queue's issue cycle(s) (one instruction per cycle per queue) and the unit resource it occupies. */
  function unitRes(inst: Instance, chip: number, start: number, queue: string): Res[] {
    const t = start + inst.rel;
    const issue = `${chip}/${queue}/issue`;
    const res = `${chip}/${queue}/${inst.timing.resource}`;
    if (inst.spacing === 1)
      return [
        { kind: "queue", key: issue, s: t, e: t + 1 },
        { kind: "queue", key: res, s: t, e: t + inst.timing.busy },
      ];
    return Array.from({ length: inst.timing.n }, (_, k) => [
      { kind: "queue" as const, key: issue, s: t + k * inst.spacing, e: t + k * inst.spacing + 1 },
      { kind: "queue" as const, key: res, s: t + k * inst.spacing, e: t + k * inst.spacing + 1 },
    ]).flat();
  }

  function bankRes(inst: Instance, chip: number, start: number): Res[] {
    if (inst.unit !== "mem") return [];
    const t = start + inst.rel;
    const out: Res[] = [];
    const n = inst.timing.n;
    for (let k = 0; k < n; ) {
      const bank = Math.floor((inst.addr + k * inst.stride) / bankSize);
      let j = k + 1;
      while (j < n && inst.spacing === 1 && Math.floor((inst.addr + j * inst.stride) / bankSize) === bank)
        j++;
      out.push({
        kind: "bank",
        key: `${chip}/${inst.index}/${bank}`,
        s: t + k * inst.spacing,
        e: t + (j - 1) * inst.spacing + 1,
      });
      k = j;
    }
    return out;
  }

  function flowRes(geo: Geometry, gi: number, chip: number, start: number, base: StreamRef): Res[] {
    const grp = geo.groups[gi]!;
    return grp.flows.map((f) => {
      const p = geo.instances[f.from]!;
      const c = geo.instances[f.to]!;
      const t0 = start + p.rel + p.timing.outOffset;
      const w0 = base.dir === "e" ? t0 - p.pos : t0 + p.pos;
      return {
        kind: "stream" as const,
        key: `${chip}/${base.dir}/${base.id + f.byte}`,
        w0,
        w1: w0 + (grp.n - 1) * grp.spacing + 1,
        lo: Math.min(p.pos, c.pos),
        hi: Math.max(p.pos, c.pos),
      };
    });
  }

  function conflictAll(rs: readonly Res[], local: readonly Res[]): number {
    let need = 0;
    for (const r of rs) {
      if (r.kind === "stream") {
        need = Math.max(need, streams.peek(r.key)?.conflict(r.w0, r.w1, r.lo, r.hi) ?? 0);
        for (const l of local)
          if (
            l.kind === "stream" &&
            l.key === r.key &&
            l.w1 > r.w0 &&
            l.w0 < r.w1 &&
            l.lo <= r.hi &&
            r.lo <= l.hi
          )
            need = Math.max(need, l.w1 - r.w0);
      } else {
        const table = (r.kind === "queue" ? queues : banks).peek(r.key);
        need = Math.max(need, table?.conflict(r.s, r.e) ?? 0);
        for (const l of local)
          if (l.kind === r.kind && l.key === r.key && l.e > r.s && l.s < r.e)
            need = Math.max(need, l.e - r.s);
      }
    }
    return need;
  }

  function commit(r: Res): void {
    if (r.kind === "stream") streams.get(r.key).add(r.w0, r.w1, r.lo, r.hi);
    else (r.kind === "queue" ? queues : banks).get(r.key).add(r.s, r.e);
  }
}

/** A task's rough length for priorities: its longest busy step plus its fixed latencies. */
function estimate(t: Task, m: Machine): number {
  let busy = 0;
  for (const s of t.steps) {
    if (s.kind === "read" || s.kind === "write") busy = Math.max(busy, s.ref.n);
    else if (s.kind === "abc") busy = Math.max(busy, s.n * mxmCyclesPerVector(m, s.type) + m.mxm.latency);
    else if (s.kind === "iw") busy = Math.max(busy, m.mxm.installLatency);
    else if (s.kind !== "lw") busy = Math.max(busy, s.n);
    else busy = Math.max(busy, s.n);
  }
  return busy + m.mem.readLatency + m.mem.writeLatency;
}
