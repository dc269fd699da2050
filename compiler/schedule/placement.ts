// Placing one task: in, the task, its MXM plane and group state; out, its earliest start (data written, weights
// installed, accumulators and links free, every reservation free) and, when placed, its instructions and times.
// State moves only forward: a placed task's reservations and data times are never taken back.

import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { blockOf, type Placement, type Task, type TaskGraph } from "../passes/task-ir.ts";
import { deskewPeriodOf } from "./deskew.ts";
import type { Geometry } from "./geometry.ts";
import { InstSink } from "./inst-sink.ts";
import { buildInstructions } from "./instructions.ts";
import { accExtents, accRows, noteDrain } from "./placement-acc.ts";
import { DataTimes } from "./placement-data.ts";
import { spacedParity } from "./placement-parity.ts";
import { type GroupState, NO_INPUT, type PlaneState } from "./plane-state.ts";
import { QUEUE } from "./resources.ts";
import type { TaskTimes } from "./schedule-ir.ts";
import { TaskShapes } from "./task-shapes.ts";
import {
  abcResultOffset,
  lastEventOffset,
  mxmCyclesPerVector,
  runEndOffset,
  writeReadableOffset,
} from "./timing.ts";
import { type Choice, Trial } from "./trial.ts";

/** Where a task would go: its start, choices, and the cycle its last step issues. */
export interface Found {
  readonly geo: Geometry;
  readonly chip: number;
  /** From data alone, and from data and MXM state (TaskTimes' ready and planeReady). */
  readonly readyAt: number;
  readonly planeReady: number;
  readonly start: number;
  readonly waitedOn: TaskTimes["waitedOn"];
  readonly choice: Choice | undefined;
  readonly lastIssue: number;
}

/** What delayed a task, by the kind of reservation that forced the shift. */
const WAITED_ON = ["queue", "bank", "stream"] as const;

export class Placer {
  /** The instructions of the placed tasks, by queue. */
  readonly sink: InstSink;
  readonly times: TaskTimes[] = [];
  cycles = 0;
  /** The last window [k P, (k + 1) P) in which some word leaves a sender: deskews go at k P for k = 1 .. it. */
  lastTalkWindow = 0;
  readonly deskewPeriod: number;
  private readonly placements: Map<string, Placement>;
  private readonly trial: Trial;
  private readonly planes: PlaneState[][] = [];
  /** Tiles' and row pieces' readable and last-read cycles, sends' issues, link ends' free cycles. */
  private readonly data: DataTimes;
  /** Each task's geometry on a plane, solved once while it is tried (task-shapes.ts). */
  private readonly shapes: TaskShapes;
  /** Relaxed with `chainFrom`: the first chip whose tasks count cycles from their inputs only (originOf). */
  private readonly chainFrom: number;
  /** Per MXM group (by name): the accumulator rows its products and drains span (the largest row0 + n). */
  private readonly accExtent: Map<string, number>;

  constructor(
    g: TaskGraph,
    private readonly m: Machine,
    /** Ignore every resource (the critical-path bound): no trial, no instructions. */
    private readonly relaxed: boolean,
    /** Chips talk: they deskew in cycle 0, so nothing else issues then. */
    private readonly multiChip: boolean,
    /** Called when a send is placed (its link's FIFO order). */
    private readonly onSend: (task: Task, chip: number, link: number) => void,
    /** Relaxed only: tasks on chips from this one drop every constant term (originOf); absent: none do. */
    chainFrom?: number,
    /** Relaxed only: called as a recv is placed, with the cycle its data arrives (its input, for a chain). */
    private readonly onArrival?: (task: Task, from: string, cycle: number) => void,
  ) {
    this.chainFrom = relaxed && chainFrom !== undefined ? chainFrom : Number.POSITIVE_INFINITY;
    // Notes by task index, a deskew's last (the relaxed runs make no instructions).
    this.sink = new InstSink(relaxed ? [] : [...g.tasks.map((t) => t.id), "deskew"]);
    this.placements = new Map((g.placements ?? []).map((p) => [p.tensor, p]));
    this.shapes = new TaskShapes(m, this.placements, relaxed);
    // A source is readable from cycle 0, and never written: with a chain, a task that drops constant terms must not
    // see its 0 (the prefix's tasks start at 0 or 1 anyway).
    const unwritten = this.chainFrom < Number.POSITIVE_INFINITY ? NO_INPUT : 0;
    this.data = new DataTimes(m, g.tensors, unwritten);
    let chips = g.chips;
    for (const t of g.tasks) chips = Math.max(chips, t.chip + 1);
    this.accExtent = accExtents(g);
    this.deskewPeriod = deskewPeriodOf(m);
    this.trial = new Trial(m, chips, this.placements, multiChip, this.deskewPeriod);
  }

  planesOf(chip: number): PlaneState[] {
    while (this.planes.length <= chip) this.planes.push([]);
    const ps = this.planes[chip]!;
    while (ps.length < this.m.mxm.planes) ps.push({ stagingFree: 0, arrayFree: 0, accFree: [] });
    return ps;
  }

  /**
   * The cycle every constant term of a task on `chip` counts from: 0 (a fresh plane, a source, a free link, cycle
   * 0), or NO_INPUT on the chips of a chain (`chainFrom`, relaxed only), where a task's cycles then follow from
   * the cycles its inputs arrive and fixed latencies alone: a max of (an input's cycle + a constant), the same
   * function for every copy of a stamped unit and unchanged by shifting every input by the same cycles
   * (stamp-bound.ts).
   */
  originOf(chip: number): number {
    return chip >= this.chainFrom ? NO_INPUT : 0;
  }

  /** Where the task would go with this plane (nothing is committed). `index`: the task's index in the graph, to
   * keep its geometry until it is placed (a task tried again later need not be solved again); -1: not kept. */
  find(task: Task, plane: number | undefined, gs: GroupState | undefined, index = -1): Found {
    const { relaxed, trial } = this;
    const geo = this.shapes.of(task, plane, index);
    const chip = task.chip;
    const lower = this.lowerBound(task, geo, gs, false);
    const readyAt = this.dataBound;
    let start = lower;
    let waitedOn: TaskTimes["waitedOn"] = "none";
    let choice: Choice | undefined;
    if (!relaxed) trial.newSearch(geo);
    const parity = relaxed ? -1 : spacedParity(geo);
    for (let tries = 0; ; tries++) {
      if (parity >= 0 && (start & 1) !== parity) start++;
      // After the first try (which says what the task waited on), skip the starts where a reservation with no
      // choice (a fixed queue, a bank, a deskew) is taken: no choice of ALUs or streams can make them feasible.
      if (tries > 0 && !relaxed) {
        const skip = trial.fixedClearance(geo, chip, start, task);
        if (skip > 0) {
          start += skip;
          continue;
        }
      }
      // Relaxed: every resource is free and no instruction is built, so no choice is made.
      const r = relaxed ? { shift: 0, kind: QUEUE, choice: undefined } : trial.tryAt(geo, chip, start, task);
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
    return { geo, chip, readyAt, planeReady: lower, start, waitedOn, choice, lastIssue: start + lastRel };
  }

  /**
   * The cycle a task of a group that holds a plane is released at (scheduler.ts): its earliest start from its data
   * and its group's MXM state, with a weight load due no sooner than the array frees less its own loader time. The
   * placement order then follows the cycles tasks can start, not their predecessors' ends: a load's reads start up
   * to ~90 cycles before its `lw`, and released at the previous `abc`'s end they were placed after other planes'
   * loads that started later (llama3-8b's lm head). A load that could start long before the array needs it (a
   * prefill's long `abc`) is not placed early, where it would only hold read ports and streams.
   */
  releaseCycle(task: Task, plane: number, gs: GroupState, index: number): number {
    return this.lowerBound(task, this.shapes.of(task, plane, index), gs, true);
  }

  /** The cycle the link of a task's send step is free for its next transfer (0 for a task without one). */
  sendLinkFree(task: Task): number {
    for (const s of task.steps)
      if (s.kind === "send") return this.data.linkFreeAt(`${task.chip}/s${s.link}`, 0);
    return 0;
  }

  /** The bound from data alone in the last lowerBound (the rest of it is MXM state: TaskTimes.planeReady). */
  private dataBound = 0;

  /** The earliest start from data and MXM state (after the deskew of cycle 0 when chips talk); `due`: a load no
   * sooner than it is needed (releaseCycle). */
  private lowerBound(task: Task, geo: Geometry, gs: GroupState | undefined, due: boolean): number {
    const { relaxed } = this;
    const chip = task.chip;
    const ps = gs?.state;
    const origin = this.originOf(chip);
    let lower = origin === 0 ? (this.multiChip ? 1 : 0) : origin;
    let dataBound = lower;
    // The data and state bounds are the step's: computed for its first instance (a MEM step has one per byte plane,
    // a wide read one per stream group too) and reused for the others.
    let boundStep = -1;
    let stepData = origin;
    let stepState = Number.NEGATIVE_INFINITY;
    for (const inst of geo.instances) {
      const s = task.steps[inst.step]!;
      // The cycles this step's issue must not precede: from data (SRAM, links) and from MXM state.
      let data = origin;
      let state = Number.NEGATIVE_INFINITY;
      if (inst.step === boundStep) {
        data = stepData;
        state = stepState;
      } else
        switch (s.kind) {
          case "read":
          case "gather":
            data = this.data.readableFrom(s.ref, s.kind === "gather");
            break;
          case "write": {
            // Reused SRAM space is a resource: the relaxed schedule (a bound) does not wait for its old readers.
            if (relaxed) break;
            const tp = blockOf(this.placements.get(s.ref.tensor)!, s.ref.tile, s.ref.row);
            if (tp.reuses) data = this.data.reuseFree(tp.reuses, data);
            break;
          }
          case "lw":
            state = due ? Math.max(ps!.stagingFree, ps!.arrayFree - inst.timing.busy) : ps!.stagingFree;
            break;
          // Its own group's previous step (the load it installs, the weights it multiplies by, the products it
          // emits) is a dependency (`data`); the plane's use by other work (the array, the accumulators) is state.
          case "iw":
            data = gs!.lwEnd;
            state = Math.max(gs!.lwEnd, ps!.arrayFree);
            break;
          case "abc":
            data = gs!.weightsReady;
            state = s.accumulate
              ? gs!.weightsReady
              : Math.max(gs!.weightsReady, this.accRowsOf(task, gs!)[1]);
            break;
          case "acc":
            data = gs!.resultsReady;
            state = gs!.resultsReady;
            break;
          // A link end is a resource like any unit: the relaxed schedule (a bound) does not queue transfers behind
          // each other (its placement order follows priority, not the clock, so an early transfer could wait behind
          // a later one and the "bound" exceed a real schedule); the link bound counts link throughput.
          case "send":
            data = relaxed ? origin : this.data.linkFreeAt(`${chip}/s${s.link}`, 0);
            break;
          case "recv": {
            const free = relaxed ? origin : this.data.linkFreeAt(`${chip}/r${s.link}`, 0);
            data = Math.max(free, this.data.arrival(task, s));
            break;
          }
          default:
            break;
        }
      boundStep = inst.step;
      stepData = data;
      stepState = state;
      lower = Math.max(lower, data - inst.rel, state - inst.rel);
      dataBound = Math.max(dataBound, data - inst.rel);
    }
    this.dataBound = dataBound;
    return lower;
  }

  /** Places the task (at `known` when the caller already found its placement); returns the cycle after its last
   * event. */
  place(
    task: Task,
    plane: number | undefined,
    gs: GroupState | undefined,
    known: Found | undefined,
    index = -1,
  ): number {
    const { m, relaxed, trial } = this;
    const ps = gs?.state;
    // With its index, a task of a group takes the shape its release solved (releaseCycle), not solved again.
    const { geo, chip, readyAt, planeReady, start, waitedOn, choice } =
      known ?? this.find(task, plane, gs, index);
    this.shapes.forget(index);
    // The last tryAt of find succeeded at `start`: its trial holds exactly the task's reservations. A placement
    // found earlier (another plane was tried after it) fills the trial again at its start.
    if (known && !relaxed) {
      trial.newSearch(geo);
      if (trial.tryAt(geo, chip, start, task).shift !== 0)
        invariant(false, `${task.id} no longer fits where it was found`);
    }
    if (!relaxed) trial.commit();
    let end = start;
    // The run's end may come later than the task's results: an instruction's occupancy counts too (runEndOffset).
    let runEnd = start;
    // The tile a MEM step reads or writes, looked up for its first instance only.
    let tileStep = -1;
    let tile = 0;
    for (const inst of geo.instances) {
      const t = start + inst.rel;
      const s = task.steps[inst.step]!;
      const last = inst.timing.n > 0 ? inst.timing.n - 1 : 0;
      const done = t + lastEventOffset(m, s, inst.spacing, inst.timing) + 1;
      runEnd = Math.max(runEnd, t + runEndOffset(m, s, inst.spacing, inst.timing));
      switch (s.kind) {
        case "read":
        case "gather": {
          if (inst.step !== tileStep) tile = this.data.tileId(s.ref.tensor, s.ref.tile);
          tileStep = inst.step;
          this.data.noteRead(tile, done);
          break;
        }
        case "write": {
          if (inst.step !== tileStep) tile = this.data.tileId(s.ref.tensor, s.ref.tile);
          tileStep = inst.step;
          this.data.noteWrite(tile, s.ref, t + writeReadableOffset(m, last));
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
          if (gs!.accBase < 0) gs!.accBase = this.accRowsOf(task, gs!)[0];
          ps!.arrayFree = t + s.n * mxmCyclesPerVector(m, s.type);
          gs!.resultsReady = t + abcResultOffset(m, s.type, s.n - 1);
          break;
        case "acc":
          noteDrain(gs!, s.row0, s.n, t + s.n);
          break;
        case "send": {
          this.data.noteSend(task.id, t);
          this.onSend(task, chip, s.link);
          this.data.setLinkFree(`${chip}/s${s.link}`, t + inst.timing.busy);
          this.lastTalkWindow = Math.max(
            this.lastTalkWindow,
            Math.floor((t + inst.timing.busy) / this.deskewPeriod),
          );
          break;
        }
        case "recv":
          this.data.setLinkFree(`${chip}/r${s.link}`, t + s.n);
          this.onArrival?.(task, s.from, this.data.arrival(task, s));
          break;
        default:
          break;
      }
      end = Math.max(end, done);
    }
    this.cycles = Math.max(this.cycles, end, runEnd);
    this.times.push({ task: task.id, op: task.op, ready: readyAt, planeReady, start, end, waitedOn });
    if (!relaxed) {
      invariant(index >= 0, "a task is placed by its index (its note in the instructions)");
      buildInstructions(task, index, geo, chip, start, choice!, this.sink, gs?.accBase ?? 0);
    }
    return end;
  }

  /** The accumulator rows of the task's group and the cycle they are free from (placement-acc.ts accRows). */
  private accRowsOf(task: Task, gs: GroupState): readonly [number, number] {
    const group = task.mxmGroup!;
    return accRows(group, this.accExtent.get(group)!, gs, this.m.mxm.accumulatorRows);
  }
}
