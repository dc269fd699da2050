// Pass `schedule`: allocated task IR -> Schedule. A list scheduler over tasks with reservation tables: tasks are
// taken in order of critical-path priority (longest estimated path to the end of the program, ties by list
// order) among those whose predecessors are placed, and each is put at the earliest start where its dependencies
// are met (SRAM data written, MXM weights installed, accumulators free) and every queue, bank port and stream it
// needs is free (placement.ts, trial.ts). MXM work is grouped per output tile onto one of the planes, so weight
// loads on one plane overlap compute on the others. Deterministic: no randomness, no iteration over unordered keys.
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { Heap } from "../../util/heap.ts";
import type { Task, TaskGraph } from "../passes/task-ir.ts";
import { hasLongRun, unitRuns } from "./bounds.ts";
import { dependencies } from "./dependencies.ts";
import { addDeskews } from "./deskew.ts";
import { GroupStarts, lookaheadPick } from "./group-starts.ts";
import { type Found, Placer } from "./placement.ts";
import { newGroup } from "./plane-state.ts";
import { priorities } from "./priority.ts";
import type { Schedule } from "./schedule-ir.ts";
import { SendOrder } from "./send-order.ts";
import { mxmCyclesPerVector } from "./timing.ts";

/** How many group starts (the best by priority) compete for a free plane by when their weight load would end: an
 * assumption, few enough to keep the search cheap. */
const START_LOOKAHEAD = 8;

/** soonestStart: a start whose inputs end more than this after its weight load would end counts as starting when
 * they do (same assumption as group-starts.ts HOLD_LEAD). */
const INPUT_LEAD = 64;

export interface ScheduleOptions {
  /** Ignore every resource (queues, banks, streams, MXM planes shared between groups): what is left is the
   * critical path of fixed latencies and dependencies, a lower bound on any schedule. No instructions. */
  readonly relaxed?: boolean;
  /** Schedule each task as bounds.ts `unitRuns` shortens it (every run one vector), as if given `latencyOnly(g)`:
   * the same schedule without a copy of the whole graph. */
  readonly unitRuns?: boolean;
  /** Relaxed only: tasks on chips from this one drop their constant terms (a fresh MXM plane, a source, cycle 0):
   * their cycles follow from the cycles their inputs arrive alone (placement.ts `originOf`; stamp-bound.ts). */
  readonly chainFrom?: number;
  /** Relaxed only: told the cycle each recv's data arrives (and the send task it comes from), as it is placed. */
  readonly onArrival?: (task: Task, from: string, cycle: number) => void;
  /** Each task's estimated length (priority.ts `estimate`, full runs) when the caller has them (compile.ts:
   * allocate's); not used with `unitRuns`. */
  readonly lengths?: ArrayLike<number>;
  /** The successors the priorities follow, when not the graph's own (compile.ts: the edges before allocation, so
   * SRAM reuse's order edges do not rank a tenant's readers by the path of a later tenant). */
  readonly priorityEdges?: { readonly succStart: ArrayLike<number>; readonly succOf: ArrayLike<number> };
}

export function schedule(g: TaskGraph, m: Machine, opts: ScheduleOptions = {}): Schedule {
  const relaxed = opts.relaxed ?? false;
  // A task whose runs are all one vector already (most of a decode step's) is its own unit-run copy.
  const taskAt = opts.unitRuns
    ? (i: number) => (hasLongRun(g.tasks[i]!) ? unitRuns(g.tasks[i]!) : g.tasks[i]!)
    : (i: number) => g.tasks[i]!;
  // Chips that talk align with `deskew` in cycle 0 (docs/isa.md: then arrivals are exactly F + L_link for about
  // 2,500 cycles) and again every deskew period up to their last transfer: one repeated deskew per chip on the
  // last link's queue, which carries no data (addDeskews). Nothing else issues in cycle 0 (placement.ts).
  const multiChip = g.tasks.some((t) => t.steps.some((st) => st.kind === "send"));
  // Link order: words come out of a receive buffer in the order they arrived, so on each link the sends are
  // placed one after another (no send slips into an earlier gap) and the recvs take them in the same order.
  const sendSeq = new Map<string, number>();
  const linkSends = new Map<string, number>();
  const onSend = (task: Task, chip: number, link: number) => {
    const key = `${chip}/${link}`;
    sendSeq.set(task.id, linkSends.get(key) ?? 0);
    linkSends.set(key, (linkSends.get(key) ?? 0) + 1);
  };
  const placer = new Placer(g, m, relaxed, multiChip, onSend, opts.chainFrom, opts.onArrival);
  const planesOf = (chip: number) => placer.planesOf(chip);

  // Priorities: estimated task length plus the longest path after it.
  const { index, afterStart, afterOf, succStart, succOf } = dependencies(g.tasks);
  const n = g.tasks.length;
  const pe = opts.priorityEdges ?? { succStart, succOf };
  const priority = priorities(g.tasks, m, opts.unitRuns ?? false, pe.succStart, pe.succOf, opts.lengths);

  const placed = new Array<boolean>(n).fill(false);
  const released = new Array<boolean>(n).fill(false);
  const before = (a: number, b: number) => priority[b]! - priority[a]! || a - b;
  const ready = new Heap<number>(before);
  const freePlanes = (chip: number) => {
    let free = 0;
    for (const p of planesOf(chip)) if (p.owner === undefined) free++;
    return free;
  };
  // Which group starts may take a plane now (group-starts.ts), by dense group id.
  const starts = new GroupStarts(
    g.tasks,
    afterStart,
    afterOf,
    priority,
    before,
    placed,
    released,
    freePlanes,
  );
  const { groupOf, groupState, groupInEnd, parkedIn } = starts;
  // Per group, the array cycles of its first product (soonestStart's slack).
  const productCycles: number[] = [];
  for (let i = 0; i < n; i++) {
    const group = groupOf[i]!;
    if (group < 0 || productCycles[group] !== undefined) continue;
    for (const x of g.tasks[i]!.steps)
      if (x.kind === "abc") productCycles[group] = x.n * mxmCyclesPerVector(m, x.type);
  }
  // Per task, its (first) recv's link end by number (chip * links + link; -1: no recv) and the send it takes:
  // looked up once, not a search of the steps and a key string each time a task becomes ready or is placed.
  const recvLinkOf = new Int32Array(n).fill(-1);
  const recvFrom: string[] = [];
  let linkEnds = 0;
  for (let i = 0; i < n; i++) {
    const t = g.tasks[i]!;
    recvFrom.push("");
    if (relaxed) continue;
    for (const st of t.steps)
      if (st.kind === "recv") {
        recvLinkOf[i] = t.chip * m.c2c.links + st.link;
        recvFrom[i] = st.from;
        linkEnds = Math.max(linkEnds, recvLinkOf[i]! + 1);
        break;
      }
  }
  /** The next send's number each link end takes (by link end number). */
  const recvNext = new Int32Array(linkEnds);
  /** Ready recvs waiting for their turn, by (link end, send number) as parkKey makes it. */
  const recvParked = new Map<number, number>();
  const parkKey = (link: number, seq: number) => link * 2 ** 26 + seq;
  const becomeReady = (i: number) => {
    const rl = recvLinkOf[i]!;
    if (rl >= 0) {
      const seq = sendSeq.get(recvFrom[i]!)!;
      if (recvNext[rl] !== seq) {
        recvParked.set(parkKey(rl, seq), i);
        return;
      }
    }
    if (relaxed || !starts.park(i, now)) ready.push(i);
  };

  // Release times: placement follows the clock. A task whose predecessors are all placed is *released* at the
  // cycle the last of them ends, and only released tasks (release <= now) compete by priority; `now` moves to the
  // next release when none is left. Without it the placement order was the priority order alone, and since an MXM
  // plane's state only moves forward (a group placed later goes after every group placed before it on its plane),
  // a high-priority group whose data came late pushed a plane's state past lower-priority groups whose data was
  // there long before (llama2-7b: the value projection's last column tile at cycle 105k, its input ready at 37k).
  // Inside a group that holds a plane, a task is released when its data and the plane's state let it start
  // (arrive, placement.ts releaseCycle), so a plane's next weight load competes from the cycle its reads begin.
  const endOf = new Array<number>(n).fill(0);
  const releaseAt = new Array<number>(n).fill(0);
  const future = new Heap<number>((a, b) => releaseAt[a]! - releaseAt[b]! || before(a, b));
  let now = 0;
  const arrive = (i: number) => {
    let r = 0;
    // The relaxed schedule (a bound) has no shared state for the order to matter.
    if (!relaxed) {
      // A task of a group that holds a plane: released when it can start from its data and the plane's state
      // (placement.ts releaseCycle), not at the end of its predecessors in the group, which only order its steps.
      const group = groupOf[i]!;
      const gs = group >= 0 ? groupState[group] : undefined;
      for (let k = afterStart[i]!; k < afterStart[i + 1]!; k++) {
        const a = afterOf[k]!;
        if (!gs || groupOf[a] !== group) r = Math.max(r, endOf[a]!);
      }
      if (gs) r = Math.max(r, placer.releaseCycle(taskAt(i), gs.plane, gs, i));
    }
    releaseAt[i] = r;
    future.push(i);
    if (!relaxed) starts.inputReleased(i, r, succStart, succOf, now);
  };
  // A send is released when its link is about to free, not when its data are, while a send of the same link and
  // the same rows of the same tensor (another column tile) with a higher priority will be released by then:
  // placing a send fixes its place in the link's FIFO, so one released while the link still carries earlier ones
  // would take its place ahead of tiles with a longer path after them whose data land before the link frees
  // (llama2-70b: the rmsnorm's last tiles, written 60 cycles before its first, took the links to the MLP's chips
  // first, and the products' first K tiles came 480 cycles later). Such sends are released the same lead before
  // the link frees (a read's latency and travel across the chip, at least any send's read-to-link offset), so the
  // priority, not that offset, picks the next one. Only column tiles of one row range: between row ranges the
  // estimate ranks the products of later rows (parallel in it, one after another on the planes) above earlier
  // rows' later K tiles (bert-base's layer 7 output to chip 1: 2,392 cycles worse when every send of a link
  // waited so). Only for a sibling whose release is known (its predecessors placed): waiting on one whose data
  // may come much later cost gpt2-small 97 cycles.
  const sends = multiChip && !relaxed ? new SendOrder(g, before) : undefined;
  const sendLead = m.mem.readLatency + m.sliceOrder.length;
  const release = () => {
    while (future.size > 0 && releaseAt[future.peek()!]! <= now) {
      const i = future.pop()!;
      if (sends?.isSend(i)) {
        const due = placer.sendLinkFree(taskAt(i)) - sendLead;
        if (due > now && sends.outranked(i, due, placed, pending, releaseAt)) {
          releaseAt[i] = due;
          future.push(i);
          continue;
        }
      }
      released[i] = true;
      becomeReady(i);
    }
    starts.unhold(now);
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
      r = ready.peek();
      st = starts.peek();
      if (r !== undefined || st !== undefined) break;
      if (future.size === 0 && !starts.holdingAny) {
        // Nothing else can move: let a start whose inputs are far take a plane (one stays free, as before).
        if (starts.loosen()) continue;
        break;
      }
      now = Math.min(
        future.size > 0 ? releaseAt[future.peek()!]! : Number.POSITIVE_INFINITY,
        starts.nextUnhold,
      );
      release();
    }
    invariant(
      r !== undefined || st !== undefined,
      "scheduler deadlock: every ready task waits for an MXM plane",
    );
    starts.tighten();
    const fromStarts = !(st === undefined || (r !== undefined && before(r, st) < 0));
    let pick = fromStarts ? starts.pop()! : ready.pop()!;
    if (fromStarts && parkedIn[pick] && !relaxed) pick = soonestStart(pick);
    const t = taskAt(pick);
    let plane: number | undefined;
    /** The placement on the chosen plane when trying the planes found it already (place need not search again). */
    let found: Found | undefined;
    const group = groupOf[pick]!;
    if (group >= 0) {
      const gs = groupState[group];
      if (relaxed) {
        // Unlimited planes: the group has a private plane state, and each of its tasks goes to the position where
        // it finishes first. Letting a group's tasks sit at different positions relaxes the real rule (one plane
        // per group), so the result stays a lower bound whatever plane a real schedule picks: picking the plane
        // by the group's first task alone is not (a wide weight read near one plane can put the array far from
        // the activations).
        let own = gs;
        if (!own) {
          const z = placer.originOf(t.chip);
          const state = { stagingFree: z, arrayFree: z, accFree: [] };
          own = { plane: 0, state, lwEnd: z, weightsReady: z, resultsReady: z, accBase: -1 };
          groupState[group] = own;
        }
        let bestEnd = Number.POSITIVE_INFINITY;
        for (let k = 0; k < m.mxm.planes; k++) {
          const f = placer.find(t, k, own);
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
          return placer.find(t, k, newGroup(k, ps[k]!), pick);
        });
        const best = free
          .map((k, j) => [k, tried[j]!.lastIssue, j] as const)
          .sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]!;
        plane = best[0];
        found = tried[best[2]];
        ps[plane]!.owner = t.mxmGroup;
        groupState[group] = newGroup(plane, ps[plane]!);
      }
    }
    const freedBefore = relaxed ? 0 : freePlanes(t.chip);
    const gs = group >= 0 ? groupState[group] : undefined;
    endOf[pick] = placer.place(t, plane, gs, found, pick);
    if (t.mxmGroupEnd && gs) {
      if (gs.state.owner === t.mxmGroup) gs.state.owner = undefined;
      groupState[group] = undefined;
    }
    placed[pick] = true;
    const touched: number[] = [];
    // A start took a plane (its heap has a new top) or a group's end freed one.
    if (fromStarts || (!relaxed && freePlanes(t.chip) !== freedBefore)) touched.push(t.chip);
    for (let k = succStart[pick]!; k < succStart[pick + 1]!; k++) {
      const s = succOf[k]!;
      // (The relaxed schedule parks no start: nothing to tell.)
      if (!relaxed) starts.inputPlaced(pick, s, endOf[pick]!, now, touched);
      if (--pending[s]! === 0) arrive(s);
    }
    for (const s of waiters[pick]!) if (--pending[s]! === 0) arrive(s);
    const rl = recvLinkOf[pick]!;
    if (rl >= 0) {
      const seq = sendSeq.get(recvFrom[pick]!)!;
      invariant(seq < 2 ** 26, "fewer than 2^26 sends on a link");
      recvNext[rl] = seq + 1;
      const next = recvParked.get(parkKey(rl, seq + 1));
      if (next !== undefined) {
        recvParked.delete(parkKey(rl, seq + 1));
        becomeReady(next);
      }
    }
    for (const c of touched.sort((a, b) => a - b)) starts.offer(c);
  }
  invariant(
    placed.every((p) => p),
    "scheduler left tasks unplaced (a dependency cycle)",
  );
  if (multiChip && !relaxed) deskewTalkers();
  const count = placer.sink.count;
  const queues = placer.sink.finish();
  return { graph: g, queues, count, tasks: placer.times, cycles: placer.cycles };

  /** A deskew at k P on every chip that talks, for every k from 0 up to the last window with a word leaving in
   * it, quiet windows included (docs/compiler.md), as one `deskew n=K+1, period=P` per chip: a deskew lands its
   * chip on the boundary after it only while the drift since the previous one is under a cycle, and that previous
   * one must be at most a period back. */
  function deskewTalkers(): void {
    const queue = m.c2c.links - 1;
    // One pass over the steps (two searches with closures per task showed in profiles).
    const talks: boolean[] = [];
    for (const t of g.tasks)
      for (const x of t.steps)
        if (x.kind === "send" || x.kind === "recv") {
          if (x.link === queue) invariant(false, `link ${queue} carries data: no queue left for deskews`);
          talks[t.chip] = true;
        }
    for (let chip = 0; chip < talks.length; chip++)
      if (talks[chip]) addDeskews(placer.sink, chip, queue, placer.lastTalkWindow + 1, placer.deskewPeriod);
  }

  /**
   * Among the group start `pick` and the next START_LOOKAHEAD - 1 of its chip's starts whose inputs are placed
   * (by priority), the highest-priority one whose weight load would finish on a free plane within its first
   * product's array time of the soonest (group-starts.ts lookaheadPick). A wide load reads a chunk of 16 slices for
   * 40 cycles: when another plane's load holds that chunk, a start whose weights are in another chunk can load now
   * instead of waiting (llama2-7b's attention: three in four plane-cycles of its key and value loads waited on MEM
   * read ports). A start counts as starting no sooner than INPUT_LEAD before its inputs end: a load that ends early
   * only holds the plane until they do.
   */
  function soonestStart(pick: number): number {
    const chip = g.tasks[pick]!.chip;
    const heap = starts.inputsIn.get(chip);
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
    const ends: number[] = [];
    for (const i of candidates) {
      const t = taskAt(i);
      let bestEnd = Number.POSITIVE_INFINITY;
      for (let k = 0; k < ps.length; k++) {
        if (ps[k]!.owner !== undefined) continue;
        const end = Math.max(
          placer.find(t, k, newGroup(k, ps[k]!), i).lastIssue,
          groupInEnd[groupOf[i]!]! - INPUT_LEAD,
        );
        if (end < bestEnd) bestEnd = end;
      }
      ends.push(bestEnd);
    }
    return candidates[lookaheadPick(ends, (c) => productCycles[groupOf[candidates[c]!]!] ?? 0)]!;
  }
}
