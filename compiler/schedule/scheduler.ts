// Pass `schedule`: allocated task IR -> Schedule. A list scheduler over tasks with reservation tables: tasks are
// taken in order of critical-path priority (longest estimated path to the end of the program, ties by list
// order) among those whose predecessors are placed, and each is put at the earliest start where its dependencies
// are met (SRAM data written, MXM weights installed, accumulators free) and every queue, bank port and stream it
// needs is free. MXM work is grouped per output tile onto one of the planes, so weight loads on one plane overlap
// compute on the others. Deterministic: no randomness, no iteration over unordered keys.
import type { Instruction, StreamRef, UnitKind } from "../../arch/isa.ts";
import { deskewSlots, ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { Heap } from "../../util/heap.ts";
import { blockOf, type Placement, type Task, type TaskGraph } from "../passes/task-ir.ts";
import { unitRuns } from "./bounds.ts";
import { dependencies } from "./dependencies.ts";
import { type FlowGroup, type Geometry, type Instance, taskGeometry } from "./geometry.ts";
import { buildInstructions } from "./instructions.ts";
import {
  BANK,
  IntervalSet,
  QUEUE,
  ResBuffer,
  type ResKind,
  STREAM,
  StreamTable,
  TableArray,
} from "./resources.ts";
import type { Schedule, ScheduledInst, TaskTimes } from "./schedule-ir.ts";
import {
  abcResultOffset,
  lastEventOffset,
  linkLeaves,
  mxmCyclesPerVector,
  type UnitResource,
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

/** What delayed a task, by the kind of reservation that forced the shift. */
const WAITED_ON = ["queue", "bank", "stream"] as const;

/** The unit resources of timing.ts, numbered after the queue's issue slot (0) for the dense table ids. */
const RESOURCE_INDEX: Readonly<Record<UnitResource, number>> = {
  read: 1,
  write: 2,
  alu: 3,
  loader: 4,
  array: 5,
  drain: 6,
  sender: 7,
  receiver: 8,
};
const RESOURCES_PER_QUEUE = 9;
/** How many group starts (the best by priority) compete for a free plane by when their weight load would end: an
 * assumption, few enough to keep the search cheap. */
const START_LOOKAHEAD = 8;

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
  /** Schedule each task as bounds.ts `unitRuns` shortens it (every run one vector), as if given `latencyOnly(g)`:
   * the same schedule without a copy of the whole graph. */
  readonly unitRuns?: boolean;
}

export function schedule(g: TaskGraph, m: Machine, opts: ScheduleOptions = {}): Schedule {
  const relaxed = opts.relaxed ?? false;
  const taskAt = opts.unitRuns ? (i: number) => unitRuns(g.tasks[i]!) : (i: number) => g.tasks[i]!;
  const placements = new Map<string, Placement>((g.placements ?? []).map((p) => [p.tensor, p]));
  // Reservation tables by dense id (no string keys): per chip, a queue is a unit kind and index, with an issue
  // slot and one table per unit resource; a bank is a slice and bank; a stream a direction and id.
  const queues = new TableArray(() => new IntervalSet());
  const banks = new TableArray(() => new IntervalSet());
  const streams = new TableArray(() => new StreamTable());
  const memCount = m.sliceOrder.filter((k) => k === "mem").length;
  const queueBase: Readonly<Record<UnitKind, number>> = {
    mem: 0,
    vxm: memCount,
    mxm: memCount + m.vxm.alus,
    c2c: memCount + m.vxm.alus + m.mxm.planes,
    sxm: memCount + m.vxm.alus + m.mxm.planes + m.c2c.links,
  };
  const queuesPerChip = queueBase.sxm;
  const queueId = (chip: number, unit: UnitKind, index: number, resource: number) =>
    (chip * queuesPerChip + queueBase[unit] + index) * RESOURCES_PER_QUEUE + resource;
  const streamId = (chip: number, dir: "e" | "w", id: number) =>
    (chip * 2 + (dir === "e" ? 0 : 1)) * m.streamsPerDirection + id;
  /** The reservations of the task under trial; after a successful tryAt, exactly what placing it commits. */
  const trial = new ResBuffer();
  /** One flow group's stream rectangles under trial, before a stream id is chosen for them. */
  const rects = new ResBuffer();
  // Which table ids the trial's accepted entries use (stamp === the trial's number), per kind: a new entry is
  // checked against the trial's own entries only when its table already appears there (else the check would be
  // quadratic in the entries of a task).
  let chipCount = g.chips;
  for (const t of g.tasks) chipCount = Math.max(chipCount, t.chip + 1);
  const stamps = [
    new Int32Array(chipCount * queuesPerChip * RESOURCES_PER_QUEUE),
    new Int32Array(chipCount * memCount * m.mem.banksPerSlice),
    new Int32Array(chipCount * 2 * m.streamsPerDirection),
  ] as const;
  let trialNumber = 0;
  /** Per table id (valid while its stamp is the trial's number): the newest accepted trial entry in it. */
  const heads = [
    new Int32Array(stamps[0].length),
    new Int32Array(stamps[1].length),
    new Int32Array(stamps[2].length),
  ] as const;
  /** Per accepted trial entry: the previous accepted entry of the same table, or -1. */
  const sameKey: number[] = [];
  // Per column tile of a tensor (dense id: the tensor's first tile plus the tile): the cycle from which its last
  // write is readable, and the cycle after its last read.
  const tileBase = new Map<string, number>();
  let tileCount = 0;
  for (const t of g.tensors) {
    tileBase.set(t.id, tileCount);
    tileCount += t.tiles;
  }
  const tileId = (tensor: string, tile: number) => tileBase.get(tensor)! + tile;
  /** The dense id of a `tensor/tile` name (allocate.ts `reuses`). */
  const reuseIds = new Map<string, number>();
  const reuseId = (name: string) => {
    let id = reuseIds.get(name);
    if (id === undefined) {
      const slash = name.lastIndexOf("/");
      id = tileId(name.slice(0, slash), Number(name.slice(slash + 1)));
      reuseIds.set(name, id);
    }
    return id;
  };
  // Plain arrays of small integers, not Float64Array: cycles read from a float array are doubles, and every cycle
  // computed from them would be a boxed number in the instructions.
  const tileReady = new Array<number>(tileCount).fill(0);
  const tileReadEnd = new Array<number>(tileCount).fill(0);
  const planes: PlaneState[][] = [];
  const groupState = new Map<string, GroupState>();
  const insts: ScheduledInst[] = [];
  const times: TaskTimes[] = [];
  let cycles = 0;
  /** Issue cycle of each placed send step, by task id: its receiver's earliest start follows from it. */
  const sendAt = new Map<string, number>();
  // Chips that talk align with `deskew` in cycle 0 (docs/isa.md: then arrivals are exactly F + L_link for about
  // 2,500 cycles) and again every deskew period up to their last transfer: one repeated deskew per chip on the
  // last link's queue, which carries no data (addDeskews). Nothing else issues in cycle 0 (`lower` below).
  const multiChip = g.tasks.some((t) => t.steps.some((st) => st.kind === "send"));
  const bankSize = m.mem.wordsPerSlice / m.mem.banksPerSlice;
  /** Per link end (`chip/s<link>` sender, `chip/r<link>` receiver): the cycle the previous transfer frees it. */
  const linkFree = new Map<string, number>();
  const geometries = new Map<Task, Map<number, Geometry>>();
  const mapSpans = new WeakMap<FlowGroup, Int32Array>();
  const deskewPeriod = deskewPeriodOf(m);
  /** The last window [k P, (k + 1) P) in which some word leaves a sender: deskews go at k P for k = 1 .. it. */
  let lastTalkWindow = 0;

  const planesOf = (chip: number) => {
    while (planes.length <= chip) planes.push([]);
    const ps = planes[chip]!;
    while (ps.length < m.mxm.planes) ps.push({ stagingFree: 0, arrayFree: 0, accFree: 0 });
    return ps;
  };

  // Priorities: estimated task length plus the longest path after it.
  const { index, afterStart, afterOf, succStart, succOf } = dependencies(g.tasks);
  const priority = new Array<number>(g.tasks.length).fill(0);
  for (let i = g.tasks.length - 1; i >= 0; i--) {
    let best = 0;
    for (let k = succStart[i]!; k < succStart[i + 1]!; k++) best = Math.max(best, priority[succOf[k]!]!);
    priority[i] = estimate(g.tasks[i]!, m, opts.unitRuns ?? false) + best;
  }

  // Group bookkeeping: a group may take a plane early (only its first task ready) while at least one other plane
  // stays free for groups whose inputs are all placed, so early groups can never hold every plane (no deadlock).
  // The pick is the highest-priority *eligible* ready task. Always eligible: tasks without a group or whose group
  // holds a plane (heap `ready`). A group's first task is parked per chip, in `inputsIn` once every input of the
  // group is placed and in `inputsOut` before; it is eligible when its chip has two free planes, or one and its
  // inputs are in. `starts` holds, for each chip, the top of each parked heap that is eligible now (lazily: stale
  // entries are dropped when they surface), so the best eligible task is the better of two heap tops.
  const n = g.tasks.length;
  const groupOf = g.tasks.map((t) => t.mxmGroup);
  const groupFirst = new Map<string, number>();
  const groupOut = new Map<string, number>(); // inputs of the group's tasks not placed yet
  g.tasks.forEach((t, i) => {
    if (!t.mxmGroup) return;
    if (!groupFirst.has(t.mxmGroup)) groupFirst.set(t.mxmGroup, i);
    let out = groupOut.get(t.mxmGroup) ?? 0;
    for (let k = afterStart[i]!; k < afterStart[i + 1]!; k++) if (groupOf[afterOf[k]!] !== t.mxmGroup) out++;
    groupOut.set(t.mxmGroup, out);
  });
  const placed = new Array<boolean>(n).fill(false);
  const before = (a: number, b: number) => priority[b]! - priority[a]! || a - b;
  const ready = new Heap<number>(before);
  const starts = new Heap<number>(before);
  const inputsIn = new Map<number, Heap<number>>();
  const inputsOut = new Map<number, Heap<number>>();
  const parkedIn = new Array<boolean>(n).fill(false);
  const heapOf = (m2: Map<number, Heap<number>>, chip: number) =>
    m2.get(chip) ?? m2.set(chip, new Heap<number>(before)).get(chip)!;
  const freePlanes = (chip: number) => planesOf(chip).filter((p) => p.owner === undefined).length;
  const top = (h: Heap<number> | undefined, wantIn: boolean) => {
    while (h && h.size > 0 && (placed[h.peek()!] || parkedIn[h.peek()!] !== wantIn)) h.pop();
    return h?.peek();
  };
  const offerStarts = (chip: number) => {
    const free = freePlanes(chip);
    const a = free >= 1 ? top(inputsIn.get(chip), true) : undefined;
    const b = free >= 2 ? top(inputsOut.get(chip), false) : undefined;
    if (a !== undefined) starts.push(a);
    if (b !== undefined) starts.push(b);
  };
  const eligibleStart = (i: number) => {
    const free = freePlanes(g.tasks[i]!.chip);
    return free >= 2 || (free === 1 && groupOut.get(groupOf[i]!) === 0);
  };
  // Link order: words come out of a receive buffer in the order they arrived, so on each link the sends are
  // placed one after another (no send slips into an earlier gap) and the recvs take them in the same order.
  const sendSeq = new Map<string, number>();
  const linkSends = new Map<string, number>();
  const recvNext = new Map<string, number>();
  const recvParked = new Map<string, number>();
  const recvKey = (i: number) => {
    const t = g.tasks[i]!;
    const st = t.steps.find((x) => x.kind === "recv");
    return st?.kind === "recv" ? { key: `${t.chip}/${st.link}`, seq: sendSeq.get(st.from)! } : undefined;
  };
  const becomeReady = (i: number) => {
    const t = g.tasks[i]!;
    const rk = relaxed ? undefined : recvKey(i);
    if (rk && (recvNext.get(rk.key) ?? 0) !== rk.seq) {
      recvParked.set(`${rk.key}#${rk.seq}`, i);
      return;
    }
    if (relaxed || !t.mxmGroup || groupState.has(t.mxmGroup) || groupFirst.get(t.mxmGroup) !== i) {
      ready.push(i);
      return;
    }
    parkedIn[i] = groupOut.get(t.mxmGroup) === 0;
    heapOf(parkedIn[i] ? inputsIn : inputsOut, t.chip).push(i);
    offerStarts(t.chip);
  };

  // Release times: placement follows the clock. A task whose predecessors are all placed is *released* at the
  // cycle the last of them ends, and only released tasks (release <= now) compete by priority; `now` moves to the
  // next release when none is left. Without it the placement order was the priority order alone, and since an MXM
  // plane's state only moves forward (a group placed later goes after every group placed before it on its plane),
  // a high-priority group whose data came late pushed a plane's state past lower-priority groups whose data was
  // there long before (llama2-7b: the value projection's last column tile at cycle 105k, its input ready at 37k).
  const endOf = new Array<number>(n).fill(0);
  const releaseAt = new Array<number>(n).fill(0);
  const released = new Array<boolean>(n).fill(false);
  const future = new Heap<number>((a, b) => releaseAt[a]! - releaseAt[b]! || before(a, b));
  let now = 0;
  const arrive = (i: number) => {
    let r = 0;
    // The relaxed schedule (a bound) has no shared state for the order to matter.
    if (!relaxed)
      for (let k = afterStart[i]!; k < afterStart[i + 1]!; k++) r = Math.max(r, endOf[afterOf[k]!]!);
    releaseAt[i] = r;
    future.push(i);
  };
  const release = () => {
    while (future.size > 0 && releaseAt[future.peek()!]! <= now) {
      const i = future.pop()!;
      released[i] = true;
      becomeReady(i);
    }
  };
  const pending = new Array<number>(n).fill(0);
  g.tasks.forEach((t, i) => {
    pending[i] = t.after.length;
  });
  // Placing a send fixes its place in its link's FIFO, and the recvs must then be placed in that order. So a send
  // also waits for everything its recv waits for (besides the send): otherwise a send placed early could pin at
  // the head of the FIFO a recv that waits on tasks (e.g. readers of the SRAM space it reuses) which wait, through
  // MXM groups holding planes, on a later recv of the same link: a deadlock. With these extra edges every recv is
  // ready as soon as its send is placed. They order placement only; timing still comes from data.
  const waiters: number[][] = g.tasks.map(() => []);
  if (!relaxed)
    g.tasks.forEach((t, i) => {
      for (const st of t.steps)
        if (st.kind === "recv") {
          const send = index.get(st.from)!;
          for (let k = afterStart[i]!; k < afterStart[i + 1]!; k++)
            if (afterOf[k] !== send) {
              waiters[afterOf[k]!]!.push(send);
              pending[send]!++;
            }
        }
    });
  for (let i = 0; i < n; i++) if (pending[i] === 0) arrive(i);

  for (let count = 0; count < n; count++) {
    release();
    let r: number | undefined;
    let st: number | undefined;
    for (;;) {
      while (starts.size > 0 && (placed[starts.peek()!] || !eligibleStart(starts.peek()!))) starts.pop();
      r = ready.peek();
      st = starts.peek();
      if (r !== undefined || st !== undefined || future.size === 0) break;
      now = releaseAt[future.peek()!]!;
      release();
    }
    invariant(
      r !== undefined || st !== undefined,
      "scheduler deadlock: every ready task waits for an MXM plane",
    );
    const fromStarts = !(st === undefined || (r !== undefined && before(r, st) < 0));
    let pick = fromStarts ? starts.pop()! : ready.pop()!;
    if (fromStarts && parkedIn[pick] && !relaxed) pick = soonestStart(pick);
    const t = taskAt(pick);
    let plane: number | undefined;
    /** The placement on the chosen plane when trying the planes found it already (placeTask need not search again). */
    let found: Found | undefined;
    if (t.mxmGroup) {
      const gs = groupState.get(t.mxmGroup);
      if (relaxed) {
        // Unlimited planes: the group has a private plane state, and each of its tasks goes to the position where
        // it finishes first. Letting a group's tasks sit at different positions relaxes the real rule (one plane
        // per group), so the result stays a lower bound whatever plane a real schedule picks: picking the plane
        // by the group's first task alone is not (a wide weight read near one plane can put the array far from
        // the activations).
        let own = gs;
        if (!own) {
          const state = { stagingFree: 0, arrayFree: 0, accFree: 0 };
          own = { plane: 0, state, lwEnd: 0, weightsReady: 0, resultsReady: 0 };
          groupState.set(t.mxmGroup, own);
        }
        let bestEnd = Number.POSITIVE_INFINITY;
        for (let k = 0; k < m.mxm.planes; k++) {
          const f = findPlacement(t, k, own);
          if (f.lastIssue < bestEnd) {
            bestEnd = f.lastIssue;
            plane = k;
            found = f;
          }
        }
      } else if (gs) plane = gs.plane;
      else {
        const ps = planesOf(t.chip);
        const free = ps.map((p, k) => (p.owner === undefined ? k : -1)).filter((k) => k >= 0);
        // The plane where the group's first task (its weight load) would finish first.
        // The trial group state equals the one the group gets below, so the chosen plane's placement is final.
        const tried = free.map((k) => {
          const trial: GroupState = { plane: k, state: ps[k]!, lwEnd: 0, weightsReady: 0, resultsReady: 0 };
          return findPlacement(t, k, trial);
        });
        const best = free
          .map((k, j) => [k, tried[j]!.lastIssue, j] as const)
          .sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]!;
        plane = best[0];
        found = tried[best[2]];
        ps[plane]!.owner = t.mxmGroup;
        groupState.set(t.mxmGroup, { plane, state: ps[plane]!, lwEnd: 0, weightsReady: 0, resultsReady: 0 });
      }
    }
    const freedBefore = relaxed ? 0 : freePlanes(t.chip);
    endOf[pick] = placeTask(t, plane, found);
    placed[pick] = true;
    const touched: number[] = [];
    // A start took a plane (its heap has a new top) or a group's end freed one.
    if (fromStarts || (!relaxed && freePlanes(t.chip) !== freedBefore)) touched.push(t.chip);
    for (let k = succStart[pick]!; k < succStart[pick + 1]!; k++) {
      const s = succOf[k]!;
      const gs = groupOf[s];
      if (gs && gs !== t.mxmGroup) {
        const left = groupOut.get(gs)! - 1;
        groupOut.set(gs, left);
        const first = groupFirst.get(gs)!;
        if (left === 0 && !relaxed && !placed[first] && released[first] && !parkedIn[first]) {
          parkedIn[first] = true;
          heapOf(inputsIn, g.tasks[first]!.chip).push(first);
          if (!touched.includes(g.tasks[first]!.chip)) touched.push(g.tasks[first]!.chip);
        }
      }
      if (--pending[s]! === 0) arrive(s);
    }
    for (const s of waiters[pick]!) if (--pending[s]! === 0) arrive(s);
    const rk = relaxed ? undefined : recvKey(pick);
    if (rk) {
      recvNext.set(rk.key, rk.seq + 1);
      const next = recvParked.get(`${rk.key}#${rk.seq + 1}`);
      if (next !== undefined) {
        recvParked.delete(`${rk.key}#${rk.seq + 1}`);
        becomeReady(next);
      }
    }
    for (const c of touched.sort((a, b) => a - b)) offerStarts(c);
  }
  invariant(
    placed.every((p) => p),
    "scheduler left tasks unplaced (a dependency cycle)",
  );
  if (multiChip && !relaxed) addDeskews();
  return { graph: g, insts, tasks: times, cycles };

  /** A deskew at k P on every chip that talks, for every k from 0 up to the last window with a word leaving in
   * it, quiet windows included (docs/compiler.md), as one `deskew n=K+1, period=P` per chip: a deskew lands its
   * chip on the boundary after it only while the drift since the previous one is under a cycle, and that previous
   * one must be at most a period back. */
  function addDeskews(): void {
    const talkers = [
      ...new Set(
        g.tasks.filter((t) => t.steps.some((x) => x.kind === "send" || x.kind === "recv")).map((t) => t.chip),
      ),
    ].sort((a, b) => a - b);
    const queue = m.c2c.links - 1;
    invariant(
      !g.tasks.some((t) => t.steps.some((x) => (x.kind === "send" || x.kind === "recv") && x.link === queue)),
      `link ${queue} carries data: no queue left for deskews`,
    );
    for (const chip of talkers) insts.push(deskews(chip, queue, lastTalkWindow + 1, deskewPeriod));
  }

  /**
   * Among the group start `pick` and the next START_LOOKAHEAD - 1 of its chip's starts whose inputs are placed
   * (by priority), the one whose weight load would finish first on a free plane (ties: priority). A wide load
   * reads a chunk of 16 slices for 40 cycles: when another plane's load holds that chunk, a start whose weights
   * are in another chunk can load now instead of waiting (llama2-7b's attention: three in four plane-cycles of
   * its key and value loads waited on MEM read ports).
   */
  function soonestStart(pick: number): number {
    const chip = g.tasks[pick]!.chip;
    const heap = inputsIn.get(chip);
    const popped: number[] = [];
    const candidates = [pick];
    while (heap && heap.size > 0 && candidates.length < START_LOOKAHEAD) {
      const i = heap.pop()!;
      if (placed[i] || !parkedIn[i]) continue;
      popped.push(i);
      if (i !== pick) candidates.push(i);
    }
    for (const i of popped) heap!.push(i);
    if (candidates.length === 1) return pick;
    const ps = planesOf(chip);
    let best = pick;
    let bestEnd = Number.POSITIVE_INFINITY;
    for (const i of candidates) {
      const t = taskAt(i);
      for (let k = 0; k < ps.length; k++) {
        if (ps[k]!.owner !== undefined) continue;
        const trial: GroupState = { plane: k, state: ps[k]!, lwEnd: 0, weightsReady: 0, resultsReady: 0 };
        const end = findPlacement(t, k, trial).lastIssue;
        if (end < bestEnd) {
          bestEnd = end;
          best = i;
        }
      }
    }
    return best;
  }

  type Found = ReturnType<typeof findPlacement>;

  /** Where the task would go with this plane: its start, choices, and the cycle its last step issues. */
  function findPlacement(task: Task, plane: number | undefined, gs: GroupState | undefined) {
    // A group's first task is tried on every free plane and then placed on one: solve each shape once.
    let shapes = geometries.get(task);
    if (!shapes) {
      shapes = new Map();
      geometries.set(task, shapes);
    }
    const key = plane ?? -1;
    const geo = shapes.get(key) ?? shapes.set(key, taskGeometry(m, task, placements, plane)).get(key)!;
    const chip = task.chip;
    const ps = gs?.state;
    // Lower bound on the start from data and MXM state (after the deskew of cycle 0 when chips talk).
    let lower = multiChip ? 1 : 0;
    let stateBound = 0;
    for (const inst of geo.instances) {
      const s = task.steps[inst.step]!;
      // The cycles this step's issue must not precede: from data (SRAM, links) and from MXM state.
      let data = 0;
      let state = Number.NEGATIVE_INFINITY;
      switch (s.kind) {
        case "read":
        case "gather":
          data = tileReady[tileId(s.ref.tensor, s.ref.tile)]!;
          break;
        case "write": {
          // Reused SRAM space is a resource: the relaxed schedule (a bound) does not wait for its old readers.
          if (relaxed) break;
          const tp = blockOf(placements.get(s.ref.tensor)!, s.ref.tile, s.ref.row);
          // After the old tenants' last reads and their own writes (a write nobody reads is still a write).
          for (const r of tp.reuses ?? []) {
            const k = reuseId(r);
            data = Math.max(data, tileReadEnd[k]!, tileReady[k]!);
          }
          break;
        }
        case "lw":
          state = ps!.stagingFree;
          break;
        case "iw":
          state = Math.max(gs!.lwEnd, ps!.arrayFree);
          break;
        case "abc":
          state = s.accumulate ? gs!.weightsReady : Math.max(gs!.weightsReady, ps!.accFree);
          break;
        case "acc":
          state = gs!.resultsReady;
          break;
        case "send":
          data = linkFree.get(`${chip}/s${s.link}`) ?? 0;
          break;
        case "recv": {
          // Vector i's last word leaves the sender linkLeaves(...) after the send issues and arrives L_link later.
          const ts = sendAt.get(s.from);
          if (ts === undefined) invariant(false, `${task.id} receives from ${s.from}, which is not placed`);
          const b = ELEM_BYTES[s.type];
          let need0 = 0;
          for (let i = 0; i < s.n; i++) need0 = Math.max(need0, linkLeaves(m, (i + 1) * b - 1) - i);
          data = Math.max(linkFree.get(`${chip}/r${s.link}`) ?? 0, ts + need0 + m.c2c.latency);
          break;
        }
        default:
          break;
      }
      lower = Math.max(lower, data - inst.rel, state - inst.rel);
      stateBound = Math.max(stateBound, state - inst.rel);
    }
    const readyAt = lower;
    let start = lower;
    let waitedOn: TaskTimes["waitedOn"] = stateBound > 0 && stateBound === lower ? "mxm" : "none";
    let choice: Choice | undefined;
    for (let tries = 0; ; tries++) {
      // Relaxed: every resource is free and no instruction is built, so no choice is made.
      const r = relaxed ? { shift: 0, kind: QUEUE, choice: undefined } : tryAt(geo, chip, start, task);
      if (r.shift === 0) {
        choice = r.choice;
        break;
      }
      if (waitedOn === "none") waitedOn = WAITED_ON[r.kind];
      start += r.shift;
      // Every shift clears a conflict with a placed instruction, so the search ends once it passes them all;
      // a search that does not end means the task conflicts with itself (a bug in tile, allocate or geometry).
      if (tries >= 1e6) invariant(false, `task ${task.id} found no start: it conflicts with itself`);
    }
    let lastRel = 0;
    for (const inst of geo.instances) if (inst.rel > lastRel) lastRel = inst.rel;
    const lastIssue = start + lastRel;
    return { geo, chip, readyAt, start, waitedOn, choice, lastIssue };
  }

  /** Places the task (at `known` when the caller already found its placement); returns the cycle after its last
   * event. */
  function placeTask(task: Task, plane: number | undefined, known: Found | undefined): number {
    const gs = task.mxmGroup ? groupState.get(task.mxmGroup)! : undefined;
    const ps = gs?.state;
    const { geo, chip, readyAt, start, waitedOn, choice } = known ?? findPlacement(task, plane, gs);
    geometries.delete(task);
    // Commit reservations and state.
    // The last tryAt of findPlacement succeeded at `start`: its trial holds exactly the task's reservations. A
    // placement found earlier (another plane was tried after it) fills the trial again at its start.
    if (known && !relaxed && tryAt(geo, chip, start, task).shift !== 0)
      invariant(false, `${task.id} no longer fits where it was found`);
    if (!relaxed) commitTrial();
    let end = start;
    geo.instances.forEach((inst) => {
      const t = start + inst.rel;
      const s = task.steps[inst.step]!;
      const last = inst.timing.n > 0 ? inst.timing.n - 1 : 0;
      const done = t + lastEventOffset(m, s, inst.spacing, inst.timing) + 1;
      switch (s.kind) {
        case "read":
        case "gather": {
          const k = tileId(s.ref.tensor, s.ref.tile);
          tileReadEnd[k] = Math.max(tileReadEnd[k]!, done);
          break;
        }
        case "write": {
          const k = tileId(s.ref.tensor, s.ref.tile);
          tileReady[k] = Math.max(tileReady[k]!, t + writeReadableOffset(m, last));
          break;
        }
        case "lw":
          gs!.lwEnd = t + inst.timing.busy;
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
        case "send": {
          sendAt.set(task.id, t);
          const key = `${chip}/${s.link}`;
          sendSeq.set(task.id, linkSends.get(key) ?? 0);
          linkSends.set(key, (linkSends.get(key) ?? 0) + 1);
          linkFree.set(`${chip}/s${s.link}`, t + inst.timing.busy);
          lastTalkWindow = Math.max(lastTalkWindow, Math.floor((t + inst.timing.busy) / deskewPeriod));
          break;
        }
        case "recv":
          linkFree.set(`${chip}/r${s.link}`, t + s.n);
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
    if (!relaxed) buildInstructions(task, geo, chip, start, choice!, insts);
    return end;
  }

  /** Tries to start the task at `start`: the choice of ALUs and streams, or the shift needed. Leaves the task's
   * reservations in `trial` (complete when the shift is 0). */
  function tryAt(
    geo: Geometry,
    chip: number,
    start: number,
    task: Task,
  ): { shift: number; kind: ResKind; choice?: Choice } {
    trial.length = 0;
    trialNumber++;
    let shift = 0;
    let kind: ResKind = QUEUE;
    const alu: (number | undefined)[] = [];
    const instances = geo.instances;
    for (let ii = 0; ii < instances.length; ii++) {
      const inst = instances[ii]!;
      const st = task.steps[inst.step]!;
      if (st.kind === "send" && multiChip) {
        const c = deskewClash(m, start + inst.rel, st.n * ELEM_BYTES[st.type], deskewPeriod);
        if (c > shift) {
          shift = c;
          kind = QUEUE;
        }
      }
      if (inst.unit === "vxm") {
        let best = Number.POSITIVE_INFINITY;
        let chosen: number | undefined;
        for (let a = 0; a < m.vxm.alus && chosen === undefined; a++) {
          const from = trial.length;
          unitRes(inst, chip, start, a);
          const c = conflictTrial(from, best);
          if (c === 0) chosen = a;
          else {
            best = Math.min(best, c);
            trial.length = from;
          }
        }
        alu.push(chosen);
        if (chosen === undefined && best > shift) {
          shift = best;
          kind = QUEUE;
        }
      } else {
        alu.push(undefined);
        let from = trial.length;
        unitRes(inst, chip, start, inst.index!);
        const c = conflictTrial(from);
        if (c > 0) {
          trial.length = from;
          if (c > shift) {
            shift = c;
            kind = QUEUE;
          }
        }
        if (inst.unit === "mem") {
          from = trial.length;
          if (st.kind === "gather") gatherBankRes(inst, chip, start, st.ref.tensor, st.ref.tile);
          else bankRes(inst, chip, start);
          const cb = conflictTrial(from);
          if (cb > 0) {
            trial.length = from;
            if (cb > shift) {
              shift = cb;
              kind = BANK;
            }
          }
        }
      }
    }
    const chosenStreams: StreamRef[] = [];
    for (let gi = 0; gi < geo.groups.length; gi++) {
      const grp = geo.groups[gi]!;
      const bytes = grp.streams;
      let best = Number.POSITIVE_INFINITY;
      let chosen: StreamRef | undefined;
      for (let d = 0; d < 2 && !chosen; d++) {
        const dir = grp.dir ?? (d === 0 ? "e" : "w");
        if (grp.dir && d > 0) break;
        // The group's rectangles are the same on every stream id: one set per direction, checked per id.
        flowRects(geo, gi, start, dir);
        for (let id = 0; id + bytes <= m.streamsPerDirection && !chosen; id++) {
          const c = streamConflict(streamId(chip, dir, id), best);
          if (c === 0) chosen = { id, dir };
          else best = Math.min(best, c);
        }
      }
      if (chosen) chosenStreams.push(chosen);
      else {
        chosenStreams.push({ id: 0, dir: grp.dir ?? "e" });
        if (best > shift) {
          shift = best;
          kind = STREAM;
        }
      }
    }
    return shift > 0 ? { shift, kind } : { shift: 0, kind, choice: { alu, streams: chosenStreams } };
  }

  /** The queue's issue cycle(s) (one instruction per cycle per queue) and the unit resource it occupies. */
  function unitRes(inst: Instance, chip: number, start: number, index: number): void {
    const t = start + inst.rel;
    const issue = queueId(chip, inst.unit, index, 0);
    const res = queueId(chip, inst.unit, index, RESOURCE_INDEX[inst.timing.resource]);
    if (inst.spacing === 1) {
      trial.push(QUEUE, issue, t, t + 1);
      trial.push(QUEUE, res, t, t + inst.timing.busy);
      return;
    }
    for (let k = 0; k < inst.timing.n; k++) {
      const at = t + k * inst.spacing;
      trial.push(QUEUE, issue, at, at + 1);
      trial.push(QUEUE, res, at, at + 1);
    }
  }

  function bankRes(inst: Instance, chip: number, start: number): void {
    const t = start + inst.rel;
    const n = inst.timing.n;
    const slice = (chip * memCount + inst.index!) * m.mem.banksPerSlice;
    for (let k = 0; k < n; ) {
      const bank = Math.floor((inst.addr + k * inst.stride) / bankSize);
      let j = k + 1;
      while (j < n && inst.spacing === 1 && Math.floor((inst.addr + j * inst.stride) / bankSize) === bank)
        j++;
      trial.push(BANK, slice + bank, t + k * inst.spacing, t + (j - 1) * inst.spacing + 1);
      k = j;
    }
  }

  /** A gather's address is data (docs/isa.md: base + the index it takes), so it holds every bank its table block
   * spans for its whole run: whatever the ids, no other access meets it in a bank. */
  function gatherBankRes(inst: Instance, chip: number, start: number, tensor: string, tile: number): void {
    const t = start + inst.rel;
    const block = blockOf(placements.get(tensor)!, tile, 0);
    const slice = (chip * memCount + inst.index!) * m.mem.banksPerSlice;
    const last = Math.floor((block.addr + block.rows - 1) / bankSize);
    for (let bank = Math.floor(block.addr / bankSize); bank <= last; bank++)
      trial.push(BANK, slice + bank, t, t + inst.timing.n);
  }

  /** Per byte of a gather's map group: the lowest and highest position its stream spans (the producer's and its
   * consumers'), as pairs; the same for every start and stream tried, so computed once per group. */
  function mapSpan(geo: Geometry, grp: FlowGroup): Int32Array {
    let span = mapSpans.get(grp);
    if (span) return span;
    const p = geo.instances[grp.flows[0]!.from]!;
    span = new Int32Array(2 * grp.streams);
    for (let b = 0; b < grp.streams; b++) {
      span[2 * b] = p.pos;
      span[2 * b + 1] = p.pos;
    }
    for (const f of grp.flows) {
      const c = geo.instances[f.to]!;
      span[2 * f.byte] = Math.min(span[2 * f.byte]!, c.pos);
      span[2 * f.byte + 1] = Math.max(span[2 * f.byte + 1]!, c.pos);
    }
    mapSpans.set(grp, span);
    return span;
  }

  /** The group's stream rectangles for a start and direction, into `rects` (key: the stream offset in the group). */
  function flowRects(geo: Geometry, gi: number, start: number, dir: "e" | "w"): void {
    const grp = geo.groups[gi]!;
    rects.length = 0;
    if (grp.streams < grp.flows.length) {
      // A gather's map: one producer, a flow per byte to each consumer slice; each stream carries its byte from
      // the producer to the farthest consumer once (the nearer ones take it as it passes).
      const p = geo.instances[grp.flows[0]!.from]!;
      const t0 = start + p.rel + p.timing.outOffset;
      const w0 = dir === "e" ? t0 - p.pos : t0 + p.pos;
      const span = mapSpan(geo, grp);
      for (let b = 0; b < grp.streams; b++)
        rects.push(STREAM, b, w0, w0 + (grp.n - 1) * grp.spacing + 1, span[2 * b]!, span[2 * b + 1]!);
      return;
    }
    for (const f of grp.flows) {
      const p = geo.instances[f.from]!;
      const c = geo.instances[f.to]!;
      const t0 = start + p.rel + p.timing.outOffset;
      const w0 = dir === "e" ? t0 - p.pos : t0 + p.pos;
      rects.push(
        STREAM,
        f.byte,
        w0,
        w0 + (grp.n - 1) * grp.spacing + 1,
        Math.min(p.pos, c.pos),
        Math.max(p.pos, c.pos),
      );
    }
  }

  /** conflictTrial of the group's `rects` on the streams from `base` on, without copying them into the trial
   * unless they are free (then they are accepted). */
  function streamConflict(base: number, limit: number): number {
    let need = 0;
    const { key, a, b, lo, hi } = rects;
    const own = stamps[STREAM];
    const head = heads[STREAM];
    for (let r = 0; r < rects.length && need < limit; r++) {
      const id = base + key[r]!;
      const s = a[r]!;
      const e = b[r]!;
      const c = streams.peek(id)?.conflict(s, e, lo[r]!, hi[r]!) ?? 0;
      if (c > need) need = c;
      if (own[id] === trialNumber)
        for (let l = head[id]!; l >= 0; l = sameKey[l]!)
          if (trial.b[l]! > s && trial.a[l]! < e && trial.lo[l]! <= hi[r]! && lo[r]! <= trial.hi[l]!)
            need = Math.max(need, trial.b[l]! - s);
    }
    if (need === 0)
      for (let r = 0; r < rects.length; r++) {
        trial.push(STREAM, base + key[r]!, a[r]!, b[r]!, lo[r]!, hi[r]!);
        accept(trial.length - 1);
      }
    return need;
  }

  /** The shift that clears trial entries [from, length) of the placed tables and of the trial's earlier entries
   * (the task's own reservations so far); 0 when they are free, and then the entries are accepted. Stops early
   * (returning a value >= `limit`) once the shift reaches `limit`: a candidate that cannot beat the best so far. */
  function conflictTrial(from: number, limit = Number.POSITIVE_INFINITY): number {
    let need = 0;
    const { kind, key, a, b, lo, hi } = trial;
    for (let r = from; r < trial.length && need < limit; r++) {
      const k = kind[r]!;
      const id = key[r]!;
      const s = a[r]!;
      const e = b[r]!;
      // The trial's own entries in this table, newest first (a chain through `sameKey`).
      let l = stamps[k][id] === trialNumber ? heads[k][id]! : -1;
      if (k === STREAM) {
        const c = streams.peek(id)?.conflict(s, e, lo[r]!, hi[r]!) ?? 0;
        if (c > need) need = c;
        for (; l >= 0; l = sameKey[l]!)
          if (b[l]! > s && a[l]! < e && lo[l]! <= hi[r]! && lo[r]! <= hi[l]!)
            need = Math.max(need, b[l]! - s);
      } else {
        const c = (k === QUEUE ? queues : banks).peek(id)?.conflict(s, e) ?? 0;
        if (c > need) need = c;
        for (; l >= 0; l = sameKey[l]!) if (b[l]! > s && a[l]! < e) need = Math.max(need, b[l]! - s);
      }
    }
    if (need === 0) for (let r = from; r < trial.length; r++) accept(r);
    return need;
  }

  /** Makes trial entry r one of the trial's own (checked against every later entry of its table). */
  function accept(r: number): void {
    const k = trial.kind[r]!;
    const id = trial.key[r]!;
    sameKey[r] = stamps[k][id] === trialNumber ? heads[k][id]! : -1;
    heads[k][id] = r;
    stamps[k][id] = trialNumber;
  }

  function commitTrial(): void {
    const { kind, key, a, b, lo, hi } = trial;
    for (let r = 0; r < trial.length; r++) {
      const k = kind[r]!;
      if (k === STREAM) streams.get(key[r]!).add(a[r]!, b[r]!, lo[r]!, hi[r]!);
      else (k === QUEUE ? queues : banks).get(key[r]!).add(a[r]!, b[r]!);
    }
  }
}

/** A task's rough length for priorities: its longest busy step plus its fixed latencies. With `unit`, of the task
 * as bounds.ts `unitRuns` shortens it (every n taken as 1), without building that copy. */
function estimate(t: Task, m: Machine, unit: boolean): number {
  let busy = 0;
  for (const s of t.steps) {
    if (s.kind === "read" || s.kind === "write" || s.kind === "gather")
      busy = Math.max(busy, unit ? 1 : s.ref.n);
    else if (s.kind === "abc")
      busy = Math.max(busy, (unit ? 1 : s.n) * mxmCyclesPerVector(m, s.type) + m.mxm.latency);
    else if (s.kind === "iw") busy = Math.max(busy, m.mxm.installLatency);
    else if (s.kind !== "lw") busy = Math.max(busy, unit ? 1 : s.n);
    else busy = Math.max(busy, Math.ceil((unit ? 1 : s.n) / (s.width ?? 1)));
  }
  return busy + m.mem.readLatency + m.mem.writeLatency;
}

/** `n` deskews of `chip`, `period` cycles apart from cycle 0, on the queue of link `link`, which they occupy from
 * the first to the last (docs/isa.md). */
function deskews(chip: number, link: number, n: number, period: number): ScheduledInst {
  const inst: Instruction = n > 1 ? { op: "deskew", n, period } : { op: "deskew" };
  return {
    chip,
    queue: { kind: "c2c", index: link },
    cycle: 0,
    inst,
    busy: deskewSlots(inst),
    resource: "queue",
    task: "deskew",
    op: "deskew",
    note: "deskew",
  };
}

/**
 * The longest stretch (a multiple of the epoch) over which chips deskewed together stay aligned to within half a
 * cycle (docs/isa.md: 0.5 / (2 maxDrift) cycles, 2,500 on tsp-v1): chips that talk deskew at every multiple of it
 * up to their last transfer (quiet ones included), so every word leaves less than one period after the latest
 * deskew and arrives exactly L_link later. A period of a whole number of epochs puts every deskew 255 cycles (mod the epoch) after
 * the last alignment, far from an epoch boundary, so no two chips' pauses end at different boundaries.
 */
export function deskewPeriodOf(m: Machine): number {
  const drift = m.c2c.maxDriftPpm * 1e-6;
  const window = drift > 0 ? 0.5 / (2 * drift) : Number.MAX_SAFE_INTEGER;
  const e = m.c2c.epochCycles;
  return Math.max(e, Math.floor((Math.min(window, 2 ** 40) - 1) / e) * e);
}

/** 0 when no word of a send issued at t (words words) leaves within a cycle of a deskew at k * period (k >= 1):
 * a word leaving in the deskew's own cycle would be converted across the pause at a seed-dependent cycle. Else 1:
 * the smallest shift, so the search never skips a feasible start. */
export function deskewClash(m: Machine, t: number, words: number, period: number): number {
  const last = t + linkLeaves(m, words - 1);
  for (let k = Math.max(1, Math.floor((t + 1) / period)); k * period - 1 <= last; k++) {
    const b = k * period;
    if (b + 1 < t) continue;
    for (let j = 0; j < words; j++) {
      const f = t + linkLeaves(m, j);
      if (f > b + 1) break;
      if (f >= b - 1) return 1;
    }
  }
  return 0;
}
