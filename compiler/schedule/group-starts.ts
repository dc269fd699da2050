// When an MXM group may take a plane (the scheduler's group-start parking): in, the task list, its edges and
// priorities, told as tasks are released and placed; out, the best eligible group start per chip and whether a
// ready task is a parked start. Guarantees: early groups never hold every plane of a chip (no deadlock), and the
// same calls in the same order give the same picks (heaps ordered by priority, ties by task index).

import { Heap } from "../../util/heap.ts";
import { Interner } from "../../util/interner.ts";
import type { Task } from "../passes/task-ir.ts";
import type { GroupState } from "./plane-state.ts";

/** Cycles before its inputs end that a group may take a plane, besides half its own estimated span (holdStart): about
 * one wide weight load and its install, so the first product can start as its input lands. An assumption, tried
 * against 0 and 200 (docs/compiler.md "The scheduler"). */
const HOLD_LEAD = 64;

/**
 * A group may take a plane early (only its first task ready) while at least one other plane stays free for groups
 * whose inputs are all placed, so early groups can never hold every plane (no deadlock). The pick is the
 * highest-priority *eligible* ready task. Always eligible: tasks without a group or whose group holds a plane (the
 * scheduler's `ready` heap). A group's first task is parked per chip: in `inputsIn` once every input of the group
 * is placed, in `inputsNear` once every input has its own inputs placed (it is about to be placed), and in
 * `inputsOut` before. The inputs of the group's last task (its drain) count for `inputsIn` only: a drain into
 * reused SRAM waits for the old tenant's readers, which the products need not (bert-base: a head's scores waited
 * 4.5k cycles for another head's last op through the space its drain reuses). A start in `inputsIn` is eligible with one free plane, one in `inputsNear` with two, and one
 * in `inputsOut` only when nothing else can be placed (`loose`, liveness: some programs need a group whose inputs
 * come from another group's that cannot start yet). A start whose inputs are known to end long after now waits in
 * `held` first (holdStart): a plane taken early sits idle until the inputs land (bert-base, issue 4). `starts`
 * holds, for each chip, the top of each parked heap that is eligible now (lazily: stale entries are dropped when
 * they surface), so the best eligible task is the best of the heap tops.
 */
export class GroupStarts {
  /** Per task, its group by dense id (numbered as first met; -1: no group). */
  readonly groupOf: Int32Array;
  /** Per group: its first task, and its state while it holds a plane. */
  readonly groupFirst: number[] = [];
  readonly groupState: (GroupState | undefined)[] = [];
  /** Per group, the latest cycle its inputs are known to end by: an input's release when its inputs are placed
   * (a lower bound), its end once placed. */
  readonly groupInEnd: number[] = [];
  /** Per task: a parked start whose group's inputs are all placed. */
  readonly parkedIn: boolean[];
  /** Per group, its inputs from outside not placed yet, but its last task's. */
  private readonly groupOut: number[] = [];
  /** Per group, its last task's inputs from outside not placed yet (a drain writing reused SRAM waits for the old
   * tenant's readers: the group's products need not). */
  private readonly groupEndOut: number[] = [];
  /** Per group, its last task (the acc): the priority difference to its first is the group's estimated span. */
  private readonly groupEnd: number[] = [];
  /** Per group, its inputs from outside whose own predecessors are not all placed yet. */
  private readonly groupFar: number[];
  /** Group starts parked in `inputsNear`: every input of the group has its own inputs placed. */
  private readonly near: boolean[];
  /** Group starts waiting in `held` (holdStart), and until when. */
  private readonly holding: boolean[];
  private readonly holdUntil: number[];
  private readonly held: Heap<number>;
  readonly inputsIn = new Map<number, Heap<number>>();
  private readonly inputsOut = new Map<number, Heap<number>>();
  private readonly inputsNear = new Map<number, Heap<number>>();
  private readonly starts: Heap<number>;
  /** Set while nothing else can be placed: a start whose inputs are far may then take a plane (liveness). */
  private loose = false;

  constructor(
    private readonly tasks: readonly Task[],
    afterStart: Int32Array,
    afterOf: Int32Array,
    private readonly priority: readonly number[],
    private readonly before: (a: number, b: number) => number,
    /** Per task, whether it is placed / released (the scheduler's, read here). */
    private readonly placed: readonly boolean[],
    private readonly released: readonly boolean[],
    /** Free MXM planes of a chip now. */
    private readonly freePlanes: (chip: number) => number,
  ) {
    const n = tasks.length;
    this.groupOf = new Int32Array(n).fill(-1);
    const groups = new Interner();
    const { groupOf, groupFirst, groupOut, groupEndOut, groupInEnd, groupEnd, groupState } = this;
    for (let i = 0; i < n; i++) {
      const name = tasks[i]!.mxmGroup;
      if (!name) continue;
      const id = groups.id(name);
      if (id === groupFirst.length) {
        // A name met for the first time.
        groupFirst.push(i);
        groupOut.push(0);
        groupEndOut.push(0);
        groupInEnd.push(0);
        groupEnd.push(i);
        groupState.push(undefined);
      }
      groupOf[i] = id;
      if (tasks[i]!.mxmGroupEnd) groupEnd[id] = i;
      for (let k = afterStart[i]!; k < afterStart[i + 1]!; k++)
        if (groupOf[afterOf[k]!] !== id) {
          if (tasks[i]!.mxmGroupEnd) groupEndOut[id]!++;
          else groupOut[id]!++;
        }
    }
    this.groupFar = groupOut.slice();
    this.parkedIn = new Array<boolean>(n).fill(false);
    this.near = new Array<boolean>(n).fill(false);
    this.holding = new Array<boolean>(n).fill(false);
    this.holdUntil = new Array<number>(n).fill(0);
    this.held = new Heap<number>((a, b) => this.holdUntil[a]! - this.holdUntil[b]! || before(a, b));
    this.starts = new Heap<number>(before);
  }

  /** Whether a released task is a group start to park (else it is ready as it is): the first task of a group that
   * holds no plane. Parks it, or holds it (holdStart). */
  park(i: number, now: number): boolean {
    const id = this.groupOf[i]!;
    if (id < 0 || this.groupState[id] !== undefined || this.groupFirst[id] !== i) return false;
    const out = this.groupOut[id] === 0;
    if ((out || this.groupFar[id] === 0) && this.holdStart(i, now)) return true;
    this.parkedIn[i] = out && this.groupEndOut[id] === 0;
    this.near[i] = this.groupFar[id] === 0;
    const chip = this.tasks[i]!.chip;
    this.heapOf(
      this.parkedIn[i] ? this.inputsIn : this.near[i] ? this.inputsNear : this.inputsOut,
      chip,
    ).push(i);
    this.offer(chip);
    return true;
  }

  /** Task i (released at `r`) is an input of these successors' groups: their inputs end no sooner, and a group whose
   * inputs all have their own inputs placed becomes near. */
  inputReleased(i: number, r: number, succStart: Int32Array, succOf: Int32Array, now: number): void {
    const { groupOf, groupInEnd, groupFar } = this;
    for (let k = succStart[i]!; k < succStart[i + 1]!; k++) {
      const gs = groupOf[succOf[k]!]!;
      if (gs < 0 || gs === groupOf[i] || this.tasks[succOf[k]!]!.mxmGroupEnd) continue;
      if (r > groupInEnd[gs]!) groupInEnd[gs] = r;
      if (--groupFar[gs]! > 0) continue;
      const first = this.groupFirst[gs]!;
      if (
        this.placed[first] ||
        !this.released[first] ||
        this.parkedIn[first] ||
        this.holding[first] ||
        this.holdStart(first, now)
      )
        continue;
      this.near[first] = true;
      this.heapOf(this.inputsNear, this.tasks[first]!.chip).push(first);
      this.offer(this.tasks[first]!.chip);
    }
  }

  /** Task `pick` of group `group` (-1: none), an input of successor s's group, ended at `end`; a group whose inputs
   * are now all placed moves its start to `inputsIn`, and its chip is added to `touched` (offer it later). */
  inputPlaced(pick: number, s: number, end: number, now: number, touched: number[]): void {
    const gs = this.groupOf[s]!;
    if (gs < 0 || gs === this.groupOf[pick]) return;
    if (this.tasks[s]!.mxmGroupEnd) this.groupEndOut[gs]!--;
    else {
      this.groupOut[gs]!--;
      if (end > this.groupInEnd[gs]!) this.groupInEnd[gs] = end;
    }
    const first = this.groupFirst[gs]!;
    if (
      this.groupOut[gs] === 0 &&
      this.groupEndOut[gs] === 0 &&
      !this.placed[first] &&
      this.released[first] &&
      !this.parkedIn[first] &&
      !this.holding[first] &&
      !this.holdStart(first, now)
    ) {
      this.parkedIn[first] = true;
      const chip = this.tasks[first]!.chip;
      this.heapOf(this.inputsIn, chip).push(first);
      if (!touched.includes(chip)) touched.push(chip);
    }
  }

  /** Moves held starts whose time has come (holdUntil <= now) back to their parked heaps. */
  unhold(now: number): void {
    const { held, holdUntil } = this;
    while (held.size > 0 && holdUntil[held.peek()!]! <= now) {
      const i = held.pop()!;
      this.holding[i] = false;
      const id = this.groupOf[i]!;
      this.parkedIn[i] = this.groupOut[id] === 0 && this.groupEndOut[id] === 0;
      this.near[i] = true;
      this.heapOf(this.parkedIn[i] ? this.inputsIn : this.inputsNear, this.tasks[i]!.chip).push(i);
      this.offer(this.tasks[i]!.chip);
    }
  }

  /** The cycle the first held start may move (infinity: none held), and whether any is held. */
  get nextUnhold(): number {
    return this.held.size > 0 ? this.holdUntil[this.held.peek()!]! : Number.POSITIVE_INFINITY;
  }
  get holdingAny(): boolean {
    return this.held.size > 0;
  }

  /** The best eligible start (stale entries dropped), or undefined. */
  peek(): number | undefined {
    const starts = this.starts;
    while (starts.size > 0 && (this.placed[starts.peek()!] || !this.eligible(starts.peek()!))) starts.pop();
    return starts.peek();
  }

  pop(): number {
    return this.starts.pop()!;
  }

  /** Nothing else can move: let starts whose inputs are far take a plane (one stays free, as before). False when
   * they already may (a deadlock then). */
  loosen(): boolean {
    if (this.loose) return false;
    this.loose = true;
    for (const c of [...this.inputsOut.keys()].sort((a, b) => a - b)) this.offer(c);
    return true;
  }

  tighten(): void {
    this.loose = false;
  }

  /** Offers the chip's eligible parked heap tops to `starts` (its free planes changed, or a heap did). */
  offer(chip: number): void {
    const free = this.freePlanes(chip);
    const a = free >= 1 ? this.top(this.inputsIn.get(chip), 2) : undefined;
    const b = free >= 2 ? this.top(this.inputsNear.get(chip), 1) : undefined;
    const c = free >= 2 && this.loose ? this.top(this.inputsOut.get(chip), 0) : undefined;
    if (a !== undefined) this.starts.push(a);
    if (b !== undefined) this.starts.push(b);
    if (c !== undefined) this.starts.push(c);
  }

  /** A group start whose inputs are near or placed but end later than half the group's estimated span plus
   * HOLD_LEAD from now waits in `held` until then: its later K tiles need later inputs anyway, but taking a plane
   * now would hold it idle across the wait while other groups' data is there. */
  private holdStart(i: number, now: number): boolean {
    const id = this.groupOf[i]!;
    const span = this.priority[i]! - this.priority[this.groupEnd[id]!]!;
    const at = this.groupInEnd[id]! - HOLD_LEAD - Math.floor(span / 2);
    if (at <= now) return false;
    this.holdUntil[i] = at;
    this.holding[i] = true;
    this.held.push(i);
    return true;
  }

  /** Where a parked start is: 2 inputsIn, 1 inputsNear, 0 inputsOut. */
  private parkedAs(i: number): number {
    return this.parkedIn[i] ? 2 : this.near[i] ? 1 : 0;
  }

  private eligible(i: number): boolean {
    if (this.holding[i]) return false;
    const free = this.freePlanes(this.tasks[i]!.chip);
    const as = this.parkedAs(i);
    return as === 2 ? free >= 1 : free >= 2 && (as === 1 || this.loose);
  }

  private top(h: Heap<number> | undefined, want: number): number | undefined {
    while (
      h &&
      h.size > 0 &&
      (this.placed[h.peek()!] || this.parkedAs(h.peek()!) !== want || this.holding[h.peek()!])
    )
      h.pop();
    return h?.peek();
  }

  private heapOf(byChip: Map<number, Heap<number>>, chip: number): Heap<number> {
    let h = byChip.get(chip);
    if (!h) {
      h = new Heap<number>(this.before);
      byChip.set(chip, h);
    }
    return h;
  }
}

/**
 * The plane look-ahead's choice (scheduler.ts soonestStart): of group starts in priority order, each with the cycle
 * its weight load would end (or its inputs, less a lead), the first whose end is within its own first product's
 * array time (`product(c)`) of the soonest. A load that ends later by less than that delays the plane by less than
 * one product, while the priority order keeps a phase's groups in the order their readers need them (bert-base's
 * MLP: the soonest load alone scattered the up projection's groups out of that order, which is the order the down
 * projection's K chains read them). Where products are short against loads (a decode: 4 cycles against 40), the soonest load wins
 * as before.
 */
export function lookaheadPick(ends: readonly number[], product: (c: number) => number): number {
  let soonest = Number.POSITIVE_INFINITY;
  for (const e of ends) soonest = Math.min(soonest, e);
  for (let c = 0; c < ends.length; c++) if (ends[c]! <= soonest + product(c)) return c;
  return 0;
}
