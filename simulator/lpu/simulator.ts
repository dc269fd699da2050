// The cycle-accurate LPU simulator and its step API. In: a Program and a Machine (options: seed for the clocks,
// functional values on or off, hazard limit, event log). Out: stepping (`step`, `runUntil`, `run`), the machine's
// state at any cycle, hazards, and the run's results. Event driven: each chip keeps a calendar of the cycles where
// something happens (an issue, a put, a take, an SRAM access, a word leaving or arriving); idle cycles cost nothing.
// Chips are interleaved in global-time order (clock.ts) through a heap of their next event times (chip-order.ts),
// so link arrivals are always in the future and a step costs the same with 1 chip or 500. Instructions are rows of
// typed arrays (code.ts); values, when simulated, move in pooled buffers, so a run allocates nothing per vector.
import type { Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import { ChipState, type LogEntry, QueueResources, QueueState } from "./chip.ts";
import { ChipOrder } from "./chip-order.ts";
import { drawClock, type WordTime, wordTime } from "./clock.ts";
import { type Code, cyclesPerVector, RES_SLOTS } from "./code.ts";
import { fastRun } from "./fast/run.ts";
import type { Hazard } from "./hazards.ts";
import { issue, scheduleNext } from "./issue.ts";
import { encodeProgram } from "./prepare.ts";
import { collectResults, type RunResult } from "./results.ts";
import { SimCore, type SimOptions } from "./sim-core.ts";
import { type MachineState, snapshot } from "./state.ts";
import { InstructionCheck } from "./static-faults.ts";
import { handleEvent, K_ISSUE } from "./units.ts";

export { slotsOf } from "./slots.ts";
export type { SimOptions };
export { cyclesPerVector };

export class Simulator extends SimCore {
  readonly chips: ChipState[] = [];
  /** The whole program encoded, built when the exact engine first needs it (a fast run encodes chip by chip). */
  private codeBuilt: Code | undefined;
  readonly wordTime: WordTime;
  /** Every queue, by its number (code.queue). */
  readonly queues: QueueState[] = [];
  private readonly chipById = new Map<number, ChipState>();
  /** The multi-chip order, built on first use (the chips' calendars are built then too). */
  private orderBuilt: ChipOrder<ChipState> | undefined;
  /** Program cycles simulated so far: every chip has processed cycles < now. */
  now = 0;
  instructions = 0;
  vectors = 0;
  /** Whether every instruction had its static check (static-faults.ts): a fast run checks as it encodes. */
  private instructionsChecked = false;
  private finished = false;
  private readonly exact: boolean;
  /** Whether the last run() was done by the fast path. */
  ranFast = false;

  constructor(program: Program, machine: Machine, options: SimOptions = {}) {
    super(program, machine, options);
    this.exact = options.exact ?? false;
    this.wordTime = wordTime(machine);
    if (this.prepared.faults.length > 0) {
      for (const f of this.prepared.faults) this.addHazard(f);
      this.halted = true;
      this.instructionsChecked = true;
      return;
    }
    const memPositions: number[] = [];
    for (let i = 0; ; i++) {
      const p = slicePosition(machine, "mem", i);
      if (p === undefined) break;
      memPositions.push(p);
    }
    const seed = options.seed ?? 1;
    const record = this.prepared.record;
    const res = new QueueResources(this.prepared.queues.length);
    for (const pc of this.prepared.chips) {
      const chip = new ChipState(
        pc.chip,
        this.chips.length,
        machine,
        drawClock(seed, pc.chip, machine),
        memPositions,
        this.functional,
      );
      this.chips.push(chip);
      this.chipById.set(pc.chip, chip);
      for (const d of pc.source.data) chip.sram.init(d.slice, d.addr, d.bytes);
      // The chip's queues have consecutive serials (prepare.ts), from the next of this.queues: filled in order, not
      // with holes (pc.queues are sorted by kind order, not by serial).
      const first = this.queues.length;
      const bySerial = new Array<QueueState>(pc.queues.length);
      // Indexed loops over the queues here and in finish(): this code runs once per process, mostly before V8
      // optimizes it, and a for-of there made an iterator result per queue (~10 MB of garbage for ~58,000 queues).
      for (let j = 0; j < pc.queues.length; j++) {
        const pq = pc.queues[j]!;
        const q = new QueueState(
          chip,
          pq.serial,
          pq.name,
          pq.kind,
          pq.index,
          pq.order,
          pq.position,
          pq.base,
          pq.source.count,
          record,
          res,
          pq.serial * RES_SLOTS,
        );
        const k = pq.serial - first;
        if (!(k >= 0 && k < bySerial.length) || bySerial[k] !== undefined)
          throw new Error("internal error: a chip's queue serials are not consecutive");
        bySerial[k] = q;
        chip.queues.push(q);
      }
      for (let j = 0; j < bySerial.length; j++) this.queues.push(bySerial[j]!);
      chip.schedule = () => {
        for (const q of chip.queues) scheduleNext(this, q);
      };
    }
    // Each wire's two ends (prepare.ts checked them: chips that exist, links in range, each end wired once), without
    // a "chip:link" string per link of every chip.
    for (const w of program.wires) {
      const a = this.chipById.get(w.a)!;
      const b = this.chipById.get(w.b)!;
      a.links[w.link]!.peer = { chip: b, link: w.peerLink };
      b.links[w.peerLink]!.peer = { chip: a, link: w.link };
    }
  }

  /** The instructions as typed-array rows indexed by id (code.ts). */
  get code(): Code {
    this.codeBuilt ??= encodeProgram(this.prepared, this.machine);
    return this.codeBuilt;
  }

  /** Hazards so far, static faults first. */
  get hazards(): Hazard[] {
    this.checkInstructions();
    return this.hazardList;
  }

  get stopped(): boolean {
    this.checkInstructions();
    return this.halted;
  }

  /** A fast run checked every instruction as it encoded it (fast/run.ts). */
  markInstructionsChecked(): void {
    this.instructionsChecked = true;
  }

  /**
   * Checks every instruction once, unless a fast run did. A fault stops the program before its first cycle, with
   * no chips, exactly as a fault found at construction does.
   */
  private checkInstructions(): void {
    if (this.instructionsChecked) return;
    this.instructionsChecked = true;
    const check = new InstructionCheck(this.machine, this.program, this.prepared.record);
    for (const q of this.prepared.queues) {
      const list = q.source;
      for (let k = 0; k < list.count; k++) check.check(q, q.base + k, list, k, q.shift);
    }
    if (check.faults.length === 0) return;
    for (const f of check.faults) this.addHazard(f);
    this.halted = true;
    this.chips.length = 0;
    this.queues.length = 0;
    this.chipById.clear();
  }

  private get order(): ChipOrder<ChipState> | undefined {
    if (this.chips.length < 2) return undefined;
    this.orderBuilt ??= new ChipOrder(this.chips);
    return this.orderBuilt;
  }

  // ---- the step API ----

  /** Simulates the next cycle; returns its log entries (empty unless the log is on). */
  step(): LogEntry[] {
    this.checkInstructions();
    const from = this.logEntries?.length ?? 0;
    this.advance(this.now);
    this.now++;
    return this.logEntries ? this.logEntries.slice(from) : [];
  }

  /** Simulates every cycle up to and including `cycle`; `state()` then shows that cycle. */
  runUntil(cycle: number): void {
    this.checkInstructions();
    if (cycle < this.now) return;
    this.advance(cycle);
    this.now = cycle + 1;
  }

  /** Runs to the end (or to the hazard limit). */
  run(): void {
    if (
      !this.exact &&
      !this.functional &&
      !this.logEntries &&
      this.now === 0 &&
      !this.halted &&
      !this.ranFast
    )
      this.ranFast = fastRun(this);
    this.checkInstructions();
    // After a fast run nothing is left to process (and building every chip's calendar to find that out would cost
    // hundreds of chips an allocation each).
    if (!this.ranFast) this.advance(Number.POSITIVE_INFINITY);
    this.finish();
    let end = this.now;
    for (const c of this.chips) if (c.end > end) end = c.end;
    this.now = end;
  }

  /** The machine after the last simulated cycle. */
  state(): MachineState {
    this.checkInstructions();
    return snapshot(this);
  }

  /** One SRAM word (a copy; zeros if never written; null when values are off). */
  sramWord(chip: number, slice: number, addr: number): Uint8Array | null {
    this.checkInstructions();
    return this.chipById.get(chip)?.sram.peek(slice, addr) ?? null;
  }

  /** The results so far (call after run()). */
  result(): RunResult {
    this.checkInstructions();
    return collectResults(this);
  }

  get done(): boolean {
    return this.stopped || this.chips.every((c) => c.idle);
  }

  chip(id: number): ChipState | undefined {
    this.checkInstructions();
    return this.chipById.get(id);
  }

  // ---- the core loop ----

  private advance(limit: number): void {
    const order = this.order;
    if (!order) {
      const chip = this.chips[0];
      if (!chip) return;
      while (!this.halted && chip.heap.size > 0 && chip.heap.peekCycle() <= limit) this.processCycle(chip);
      return;
    }
    // Chips whose next event is past the limit wait aside (an arrival may bring one back: touch()).
    const aside: ChipState[] = [];
    while (!this.halted) {
      const chip = order.peek();
      if (!chip) break;
      if (chip.heap.peekCycle() > limit) {
        order.remove(chip);
        aside.push(chip);
        continue;
      }
      this.processCycle(chip);
      order.update(chip);
    }
    for (const c of aside) order.update(c);
  }

  /** A chip's events changed from outside its own processing (a link arrival): re-key it. */
  touch(chip: ChipState): void {
    this.orderBuilt?.update(chip);
  }

  private processCycle(chip: ChipState): void {
    const heap = chip.heap;
    const k = heap.peekCycle();
    chip.lastCycle = k;
    if (k + 1 > chip.end) chip.end = k + 1;
    heap.begin(k);
    for (;;) {
      const r = heap.popAt(k);
      if (r < 0) break;
      const kind = heap.kind[r]!;
      const owner = heap.owner[r]!;
      const index = heap.index[r]!;
      const ref = heap.ref[r];
      heap.release(r);
      if (kind === K_ISSUE) issue(this, this.queues[owner]!, k);
      else handleEvent(this, chip, kind, owner, index, ref, k);
      if (this.halted) return;
    }
    if (chip.deskewAt === k) chip.clock.deskew(k, this.machine.c2c.epochCycles);
  }

  /** End of the run: queues parked forever, words never received. */
  private finish(): void {
    if (this.finished || this.halted) return;
    this.finished = true;
    for (const chip of this.chips) {
      for (let j = 0; j < chip.queues.length; j++) {
        const q = chip.queues[j]!;
        if (q.parked) this.hazard("sync-never-notified", q.parked.id, q.parked.t, [q.parked.token, chip.id]);
      }
      for (const end of chip.links) {
        if (end.waiting > 0) {
          this.addHazard({
            name: "link-unreceived",
            chip: chip.id,
            where: `c2c${end.link}`,
            args: [end.waiting, end.link],
          });
        }
      }
    }
  }
}
