// The cycle-accurate LPU simulator and its step API. In: a Program and a Machine (options: seed for the clocks,
// functional values on or off, hazard limit, event log). Out: stepping (`step`, `runUntil`, `run`), the machine's
// state at any cycle, hazards, and the run's results. Event driven: each chip keeps a calendar of the cycles where
// something happens (an issue, a put, a take, an SRAM access, a word leaving or arriving); idle cycles cost nothing.
// Chips are interleaved in global-time order (clock.ts) through a heap of their next event times (chip-order.ts),
// so link arrivals are always in the future and a step costs the same with 1 chip or 500. Instructions are rows of
// typed arrays (code.ts); values, when simulated, move in pooled buffers, so a run allocates nothing per vector.
import { mnemonicOf } from "../../arch/asm/names.ts";
import { deskewSlots, type ElemType, type Instruction, type Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import { ChipState, type LogEntry, QueueState, Vec } from "./chip.ts";
import { ChipOrder } from "./chip-order.ts";
import { drawClock, type WordTime, wordTime } from "./clock.ts";
import { type Code, cyclesPerVector } from "./code.ts";
import { previewWord } from "./describe.ts";
import { fastRun } from "./fast/run.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import { issue, scheduleNext } from "./issue.ts";
import { HAZARD_BIT, type HazardName } from "./messages.ts";
import { encodeProgram, type Prepared, prepare } from "./prepare.ts";
import { collectResults, type RunResult } from "./results.ts";
import { type MachineState, snapshot } from "./state.ts";
import { InstructionCheck } from "./static-faults.ts";
import { handleEvent, K_ISSUE } from "./units.ts";

export { cyclesPerVector };

export interface SimOptions {
  /** Seed for each chip's clock drift and start offset (default 1). */
  readonly seed?: number;
  /** Compute values (default true); false tracks timing and hazards only, for huge programs without data. */
  readonly functional?: boolean;
  /** Stop after this many hazards (default 20). */
  readonly maxHazards?: number;
  /** Keep a per-cycle event log for `lpu step` (default false). */
  readonly log?: boolean;
  /**
   * Run every vector as events (default false). Otherwise `run()` of a timing-only program, from cycle 0 without a
   * log, first tries the run-length fast path (fast/run.ts), which gives the same results and state, and falls back
   * to the events when a run might meet a hazard. For tests that compare the two.
   */
  readonly exact?: boolean;
}

type Resource =
  | "queue"
  | "read"
  | "write"
  | "alu"
  | "loader"
  | "array"
  | "drain"
  | "unit"
  | "sender"
  | "receiver";

export function resourceOf(inst: Instruction): Resource {
  switch (inst.op) {
    case "nop":
    case "sync":
    case "notify":
    case "deskew":
      return "queue";
    case "read":
    case "gather":
      return "read";
    case "write":
    case "scatter":
      return "write";
    case "vunary":
    case "vbinary":
    case "convert":
    case "vaccum":
      return "alu";
    case "lw":
      return "loader";
    case "iw":
    case "abc":
      return "array";
    case "acc":
      return "drain";
    case "sxm":
      return "unit";
    case "send":
      return "sender";
    case "recv":
      return "receiver";
    default:
      return assertNever(inst, "instruction");
  }
}

/** Cycles an instruction occupies its resource (docs/isa.md, the slots table). */
export function slotsOf(m: Machine, inst: Instruction): number {
  switch (inst.op) {
    case "nop":
      return inst.cycles;
    case "sync":
    case "notify":
      return 1;
    case "deskew":
      return deskewSlots(inst);
    case "iw":
      return m.mxm.installLatency;
    case "abc":
      return inst.n * cyclesPerVector(m, inst.type);
    case "lw":
      return Math.ceil(inst.n / (inst.width ?? 1));
    default:
      return inst.n;
  }
}

export class Simulator {
  readonly chips: ChipState[] = [];
  private readonly hazardList: Hazard[] = [];
  readonly prepared: Prepared;
  /** The whole program encoded, built when the exact engine first needs it (a fast run encodes chip by chip). */
  private codeBuilt: Code | undefined;
  readonly functional: boolean;
  readonly lanes: number;
  readonly zero: Uint8Array;
  readonly wordTime: WordTime;
  /** Every queue, by its number (code.queue). */
  readonly queues: QueueState[] = [];
  /** Per instruction that reported any, the hazards it reported (a bit per kind): each is reported once. */
  private readonly reported = new Map<number, number>();
  /** Working state of instructions in progress that need it (vaccum's sum, transpose's group). */
  readonly work = new Map<number, unknown>();
  /** The planes of the last take (scratch; valid until the next take): stream words, or zeros. */
  readonly taken: Uint8Array[];
  /** Scratch element values for the units. */
  readonly f64a: Float64Array;
  readonly f64b: Float64Array;
  private readonly vecPool: Vec[] = [];
  private readonly wordPool: Uint8Array[] = [];
  private readonly hazardKeys = new Set<string>();
  private readonly maxHazards: number;
  private readonly chipById = new Map<number, ChipState>();
  /** The multi-chip order, built on first use (the chips' calendars are built then too). */
  private orderBuilt: ChipOrder<ChipState> | undefined;
  readonly logEntries: LogEntry[] | undefined;
  /** Program cycles simulated so far: every chip has processed cycles < now. */
  now = 0;
  instructions = 0;
  vectors = 0;
  /** Stopped: by a fault before the first cycle or by the hazard limit. */
  private halted = false;
  /** Whether every instruction had its static check (static-faults.ts): a fast run checks as it encodes. */
  private instructionsChecked = false;
  private finished = false;
  private readonly exact: boolean;
  /** Whether the last run() was done by the fast path. */
  ranFast = false;

  constructor(
    readonly program: Program,
    readonly machine: Machine,
    options: SimOptions = {},
  ) {
    this.functional = options.functional ?? true;
    this.maxHazards = options.maxHazards ?? 20;
    this.logEntries = options.log ? [] : undefined;
    this.exact = options.exact ?? false;
    this.lanes = machine.lanes;
    this.zero = new Uint8Array(machine.lanes);
    this.taken = [this.zero, this.zero, this.zero, this.zero];
    this.f64a = new Float64Array(machine.lanes);
    this.f64b = new Float64Array(machine.lanes);
    this.wordTime = wordTime(machine);
    // The instructions' own checks wait for the first use (checkInstructions), so that a fast run can do them in
    // the one walk over the program that encodes it.
    this.prepared = prepare(program, machine, false);
    if (this.prepared.faults.length > 0) {
      // A fault in the chips, queues or wires: the full pass lists it among the instructions' own, in order.
      this.prepared = prepare(program, machine, true);
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
      for (const pq of pc.queues) {
        const q = new QueueState(
          chip,
          pq.serial,
          pq.name,
          pq.kind,
          pq.index,
          pq.order,
          pq.position,
          pq.base,
          pq.source.length,
          record,
        );
        this.queues[pq.serial] = q;
        chip.queues.push(q);
      }
      chip.schedule = () => {
        for (const q of chip.queues) scheduleNext(this, q);
      };
    }
    for (const chip of this.chips) {
      for (const end of chip.links) {
        const peer = this.prepared.wires.get(`${chip.id}:${end.link}`);
        if (peer) end.peer = { chip: this.chipById.get(peer.chip)!, link: peer.link };
      }
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
      for (let k = 0; k < list.length; k++) check.check(q, q.base + k, list[k]!);
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
      for (const q of chip.queues) {
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

  // ---- services for the units ----

  addHazard(h: Hazard): void {
    const key = h.inst ? `${h.inst.id}:${h.name}` : `${h.chip}:${h.where}:${h.name}:${h.args.join(",")}`;
    if (this.hazardKeys.has(key)) return;
    this.hazardKeys.add(key);
    this.hazardList.push(h);
    let errors = 0;
    for (const x of this.hazardList)
      if (x.name !== "link-unreceived" && x.name !== "too-many-hazards") errors++;
    if (errors >= this.maxHazards && !this.halted) {
      this.halted = true;
      this.hazardList.push({ name: "too-many-hazards", chip: h.chip, cycle: h.cycle, args: [errors] });
    }
  }

  /** Whether instruction `id` already reported hazard `name` (then building the report's text can be skipped). */
  reportedAlready(id: number, name: HazardName): boolean {
    return ((this.reported.get(id) ?? 0) & HAZARD_BIT[name]) !== 0;
  }

  /** Reports a hazard of an instruction once (the first vector that meets it). */
  hazard(
    name: HazardName,
    id: number,
    cycle: number,
    args: readonly (string | number)[],
    hint?: string,
  ): void {
    if (this.reportedAlready(id, name)) return;
    this.reported.set(id, (this.reported.get(id) ?? 0) | HAZARD_BIT[name]);
    const inst = this.record(id);
    this.addHazard({ name, chip: inst.chip, inst, cycle, args, hint });
  }

  record(id: number): InstRecord {
    return this.prepared.record(id);
  }

  note(chip: ChipState, cycle: number, text: string): void {
    this.logEntries?.push({ chip: chip.id, cycle, text });
  }

  /** `s4e` for stream group index g. */
  streamName(g: number): string {
    const S = this.machine.streamsPerDirection;
    return g < S ? `s${g}e` : `s${g - S}w`;
  }

  /**
   * Takes `bytes` planes of group g at queue q's position for instruction `id`; missing planes are reported and
   * read as zeros. With values on, `taken[0..bytes)` then holds the planes (until the next take).
   */
  take(q: QueueState, id: number, g: number, bytes: number, cycle: number, what = ""): void {
    const streams = q.chip.streams;
    const pos = q.position;
    const taken = this.taken;
    for (let b = 0; b < bytes; b++) {
      const s = streams.take(g + b, pos, cycle);
      if (s < 0) {
        if (!this.reportedAlready(id, "stream-empty"))
          this.hazard("stream-empty", id, cycle, [`${what}${this.streamName(g + b)}`, pos]);
        taken[b] = this.zero;
      } else if (this.functional) taken[b] = streams.valueAt(s)!;
    }
    if (this.logEntries) {
      const last = bytes > 1 ? `..${this.streamName(g + bytes - 1)}` : "";
      this.note(q.chip, cycle, `${q.name} takes ${what}${this.streamName(g)}${last} at position ${pos}`);
    }
  }

  /** Puts `bytes` planes (from `planes`, or nothing when values are off) on group g at queue q's position. */
  put(
    q: QueueState,
    id: number,
    g: number,
    planes: readonly Uint8Array[] | null,
    bytes: number,
    cycle: number,
    type?: ElemType,
  ): void {
    const streams = q.chip.streams;
    const pos = q.position;
    for (let b = 0; b < bytes; b++) {
      const lost = streams.put(g + b, pos, cycle, planes ? planes[b]! : null, id);
      if (lost >= 0 && !this.reportedAlready(id, "stream-overwrite"))
        this.hazard("stream-overwrite", id, cycle, [this.streamName(g + b), pos, this.instName(lost)]);
    }
    if (this.logEntries) {
      const preview = planes ? ` ${previewWord(planes.slice(0, bytes), type, this.lanes)}` : "";
      const span = bytes > 1 ? `..${this.streamName(g + bytes - 1)}` : "";
      this.note(q.chip, cycle, `${q.name} puts ${this.streamName(g)}${span} at position ${pos}${preview}`);
    }
  }

  /** "mem3 #2 'read'" for an instruction id. */
  instName(id: number): string {
    if (id < 0 || id >= this.prepared.instructionCount) return `instruction ${id}`;
    const r = this.record(id);
    return `${r.queue} #${r.k} '${mnemonicOf(r.placed.inst)}'`;
  }

  /** A vector buffer from the pool (contents undefined). */
  allocVec(): Vec {
    return this.vecPool.pop() ?? new Vec(this.lanes);
  }

  freeVec(v: Vec): void {
    this.vecPool.push(v);
  }

  /** A one-word buffer from the pool (contents undefined). */
  allocWord(): Uint8Array {
    return this.wordPool.pop() ?? new Uint8Array(this.lanes);
  }

  freeWord(w: Uint8Array): void {
    if (w !== this.zero) this.wordPool.push(w);
  }
}
