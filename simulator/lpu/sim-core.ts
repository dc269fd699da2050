// The simulator's services for the units (units-*.ts, issue.ts): hazards reported once per instruction and kind, up
// to the hazard limit; stream takes and puts with their reports; instruction names; pooled value buffers. In: the
// program and machine, prepared (prepare.ts). Out: the hazard list and the shared scratch state. Simulator
// (simulator.ts) extends it with the chips, the step API and the core loop.
import { mnemonicOf } from "../../arch/asm/names.ts";
import type { ElemType, Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { type ChipState, type LogEntry, type QueueState, Vec } from "./chip.ts";
import { previewWord } from "./describe.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import { HAZARD_BIT, type HazardName } from "./messages.ts";
import { type Prepared, prepare } from "./prepare.ts";

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

export class SimCore {
  protected readonly hazardList: Hazard[] = [];
  readonly prepared: Prepared;
  readonly functional: boolean;
  readonly lanes: number;
  readonly zero: Uint8Array;
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
  readonly logEntries: LogEntry[] | undefined;
  /** Stopped: by a fault before the first cycle or by the hazard limit. */
  protected halted = false;

  constructor(
    readonly program: Program,
    readonly machine: Machine,
    options: SimOptions,
  ) {
    this.functional = options.functional ?? true;
    this.maxHazards = options.maxHazards ?? 20;
    this.logEntries = options.log ? [] : undefined;
    this.lanes = machine.lanes;
    this.zero = new Uint8Array(machine.lanes);
    this.taken = [this.zero, this.zero, this.zero, this.zero];
    this.f64a = new Float64Array(machine.lanes);
    this.f64b = new Float64Array(machine.lanes);
    // The instructions' own checks wait for the first use (Simulator.checkInstructions), so that a fast run can do
    // them in the one walk over the program that encodes it. A fault in the chips, queues or wires: the full pass
    // lists it among the instructions' own, in order (the Simulator then reports them and runs nothing).
    const prepared = prepare(program, machine, false);
    this.prepared = prepared.faults.length > 0 ? prepare(program, machine, true) : prepared;
  }

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
