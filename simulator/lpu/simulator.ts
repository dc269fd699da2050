// The cycle-accurate LPU simulator and its step API. In: a Program and a Machine (options: seed for the clocks,
// functional values on or off, hazard limit, event log). Out: stepping (`step`, `runUntil`, `run`), the machine's
// state at any cycle, hazards, and the run's results. Event driven: each chip keeps a heap of the cycles where
// something happens (an issue, a put, a take, an SRAM access, a word leaving or arriving); idle cycles cost
// nothing. Chips are interleaved in global-time order (clock.ts) so link arrivals are always in the future.
import { mnemonicOf } from "../../arch/asm/names.ts";
import type { ElemType, Instruction, Program, StreamRef } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import { type Activity, ChipState, type LogEntry, type QueueState } from "./chip.ts";
import { drawClock, type WordTime, wordTime } from "./clock.ts";
import { describeInstruction, previewWord } from "./describe.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import { PHASE_ISSUE } from "./heap.ts";
import type { HazardName } from "./messages.ts";
import { type Prepared, prepare } from "./prepare.ts";
import { collectResults, type RunResult } from "./results.ts";
import { type MachineState, snapshot } from "./state.ts";
import { handleEvent, K_ISSUE, startInstruction } from "./units.ts";

export interface SimOptions {
  /** Seed for each chip's clock drift and start offset (default 1). */
  readonly seed?: number;
  /** Compute values (default true); false tracks timing and hazards only, for huge programs without data. */
  readonly functional?: boolean;
  /** Stop after this many hazards (default 20). */
  readonly maxHazards?: number;
  /** Keep a per-cycle event log for `lpu step` (default false). */
  readonly log?: boolean;
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
    case "deskew":
      return 1;
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

export function cyclesPerVector(m: Machine, t: ElemType): number {
  const c = m.mxm.cyclesPerVector;
  return t === "fp16" ? c.fp16 : t === "bf16" ? c.bf16 : t === "fp8" ? c.fp8 : c.int8;
}

export class Simulator {
  readonly chips: ChipState[] = [];
  readonly hazards: Hazard[] = [];
  readonly prepared: Prepared;
  readonly functional: boolean;
  readonly lanes: number;
  readonly zero: Uint8Array;
  readonly wordTime: WordTime;
  private readonly hazardKeys = new Set<string>();
  private readonly maxHazards: number;
  private readonly chipById = new Map<number, ChipState>();
  readonly logEntries: LogEntry[] | undefined;
  /** Program cycles simulated so far: every chip has processed cycles < now. */
  now = 0;
  instructions = 0;
  vectors = 0;
  stopped = false;
  private finished = false;

  constructor(
    readonly program: Program,
    readonly machine: Machine,
    options: SimOptions = {},
  ) {
    this.functional = options.functional ?? true;
    this.maxHazards = options.maxHazards ?? 20;
    this.logEntries = options.log ? [] : undefined;
    this.lanes = machine.lanes;
    this.zero = new Uint8Array(machine.lanes);
    this.wordTime = wordTime(machine);
    this.prepared = prepare(program, machine);
    for (const f of this.prepared.faults) this.addHazard(f);
    if (this.prepared.faults.length > 0) {
      this.stopped = true;
      return;
    }
    const memPositions: number[] = [];
    for (let i = 0; ; i++) {
      const p = slicePosition(machine, "mem", i);
      if (p === undefined) break;
      memPositions.push(p);
    }
    const seed = options.seed ?? 1;
    for (const pc of this.prepared.chips) {
      const chip = new ChipState(
        pc.chip,
        machine,
        drawClock(seed, pc.chip, machine),
        memPositions,
        this.functional,
      );
      this.chips.push(chip);
      this.chipById.set(pc.chip, chip);
      for (const d of pc.source.data) chip.sram.init(d.slice, d.addr, d.bytes);
      for (const pq of pc.queues) {
        const q: QueueState = {
          chip,
          name: pq.name,
          kind: pq.kind,
          index: pq.index,
          order: pq.order,
          position: pq.position,
          insts: pq.insts,
          next: 0,
          lastIssue: Number.NEGATIVE_INFINITY,
          nextFree: 0,
          pendingFault: undefined,
          resources: new Map(),
          parked: undefined,
          releasedAt: undefined,
          busy: 0,
          covered: 0,
        };
        chip.queues.push(q);
        this.scheduleNext(q);
      }
    }
    for (const chip of this.chips) {
      for (const end of chip.links) {
        const peer = this.prepared.wires.get(`${chip.id}:${end.link}`);
        if (peer) end.peer = { chip: this.chipById.get(peer.chip)!, link: peer.link };
      }
    }
  }

  // ---- the step API ----

  /** Simulates the next cycle; returns its log entries (empty unless the log is on). */
  step(): LogEntry[] {
    const from = this.logEntries?.length ?? 0;
    this.advance(this.now);
    this.now++;
    return this.logEntries ? this.logEntries.slice(from) : [];
  }

  /** Simulates every cycle up to and including `cycle`; `state()` then shows that cycle. */
  runUntil(cycle: number): void {
    if (cycle < this.now) return;
    this.advance(cycle);
    this.now = cycle + 1;
  }

  /** Runs to the end (or to the hazard limit). */
  run(): void {
    this.advance(Number.POSITIVE_INFINITY);
    this.finish();
    this.now = Math.max(this.now, ...this.chips.map((c) => c.end));
  }

  /** The machine after the last simulated cycle. */
  state(): MachineState {
    return snapshot(this);
  }

  /** One SRAM word (a copy; zeros if never written; null when values are off). */
  sramWord(chip: number, slice: number, addr: number): Uint8Array | null {
    return this.chipById.get(chip)?.sram.peek(slice, addr) ?? null;
  }

  /** The results so far (call after run()). */
  result(): RunResult {
    return collectResults(this);
  }

  get done(): boolean {
    return this.stopped || this.chips.every((c) => c.heap.size === 0);
  }

  chip(id: number): ChipState | undefined {
    return this.chipById.get(id);
  }

  // ---- the core loop ----

  private advance(limit: number): void {
    if (this.chips.length === 1) {
      const chip = this.chips[0]!;
      while (!this.stopped && chip.heap.size > 0 && chip.heap.peekCycle() <= limit) this.processCycle(chip);
      return;
    }
    while (!this.stopped) {
      let best: ChipState | undefined;
      let bestTime = Number.POSITIVE_INFINITY;
      for (const chip of this.chips) {
        const k = chip.heap.peekCycle();
        if (k > limit || chip.heap.size === 0) continue;
        const g = chip.clock.globalTime(k);
        if (g < bestTime) {
          bestTime = g;
          best = chip;
        }
      }
      if (!best) return;
      this.processCycle(best);
    }
  }

  private processCycle(chip: ChipState): void {
    const k = chip.heap.peekCycle();
    chip.lastCycle = k;
    if (k + 1 > chip.end) chip.end = k + 1;
    while (chip.heap.peekCycle() === k) {
      const ev = chip.heap.pop()!;
      if (ev.kind === K_ISSUE) this.issue(ev.owner as QueueState, k);
      else handleEvent(this, chip, ev, k);
      chip.heap.release(ev);
      if (this.stopped) return;
    }
    if (chip.deskewAt === k) chip.clock.deskew(k, this.machine.c2c.epochCycles);
  }

  /** End of the run: queues parked forever, words never received. */
  private finish(): void {
    if (this.finished || this.stopped) return;
    this.finished = true;
    for (const chip of this.chips) {
      for (const q of chip.queues) {
        if (q.parked) {
          this.hazard("sync-never-notified", q.parked.inst, q.parked.t, [q.parked.token, chip.id]);
        }
      }
      for (const end of chip.links) {
        if (end.arrived.length > 0) {
          this.addHazard({
            name: "link-unreceived",
            chip: chip.id,
            where: `c2c${end.link}`,
            args: [end.arrived.length, end.link],
          });
        }
      }
    }
  }

  // ---- issue ----

  private scheduleNext(q: QueueState): void {
    if (q.next >= q.insts.length || q.parked) return;
    const rec = q.insts[q.next]!;
    const explicit = rec.placed.cycle;
    let at = explicit ?? q.nextFree;
    if (explicit !== undefined && explicit <= q.lastIssue) {
      q.pendingFault = { kind: "order", wanted: explicit, ref: q.lastIssue };
      at = Math.max(q.lastIssue + 1, q.nextFree);
    } else if (explicit !== undefined && q.releasedAt !== undefined && explicit <= q.releasedAt) {
      q.pendingFault = { kind: "late", wanted: explicit, ref: q.releasedAt };
      at = q.nextFree;
    }
    q.releasedAt = undefined;
    q.chip.heap.push(at, PHASE_ISSUE, K_ISSUE, q);
  }

  private issue(q: QueueState, cycle: number): void {
    const rec = q.insts[q.next++]!;
    const inst = rec.placed.inst;
    const fault = q.pendingFault;
    q.pendingFault = undefined;
    if (fault?.kind === "order") {
      this.hazard("unit-busy", rec, cycle, [
        `its cycle ${fault.wanted} is not after the previous instruction's issue cycle ${fault.ref} (a queue issues in order, at most one instruction per cycle)`,
      ]);
    } else if (fault?.kind === "late") {
      this.hazard("late-issue", rec, fault.wanted, [fault.ref]);
    }
    const res = resourceOf(inst);
    const slots = slotsOf(this.machine, inst);
    const held = q.resources.get("queue");
    if (held && held.until > cycle) {
      this.hazard("unit-busy", rec, cycle, [
        `the queue is still occupied by #${held.by.k} '${mnemonicOf(held.by.placed.inst)}' until cycle ${held.until}`,
      ]);
    }
    if (res !== "queue") {
      const o = q.resources.get(res);
      if (o && o.until > cycle) {
        this.hazard("unit-busy", rec, cycle, [
          `the ${res} port of ${q.name} is busy with #${o.by.k} '${mnemonicOf(o.by.placed.inst)}' until cycle ${o.until}`,
        ]);
      }
      const end = cycle + slots;
      const from = Math.max(cycle, q.covered);
      if (end > from) q.busy += end - from;
      if (end > q.covered) q.covered = end;
    }
    const occ = q.resources.get(res);
    if (occ) {
      occ.from = cycle;
      occ.until = cycle + slots;
      occ.by = rec;
    } else q.resources.set(res, { from: cycle, until: cycle + slots, by: rec });
    q.lastIssue = cycle;
    q.nextFree = cycle + slots;
    const chip = q.chip;
    if (cycle + slots > chip.end) chip.end = cycle + slots;
    this.instructions++;
    if ("n" in inst) this.vectors += inst.n;
    if (this.logEntries) this.note(chip, cycle, `${q.name} issues ${describeInstruction(inst)}`);
    switch (inst.op) {
      case "nop":
        break;
      case "deskew":
        chip.deskewAt = cycle;
        break;
      case "notify":
        this.notify(chip, inst.token, cycle);
        break;
      case "sync": {
        const u = chip.notified.get(inst.token);
        if (u === undefined) {
          q.parked = { token: inst.token, t: cycle, inst: rec };
          const list = chip.parked.get(inst.token) ?? [];
          list.push(q);
          chip.parked.set(inst.token, list);
          return;
        }
        this.release(q, Math.max(cycle, u + 1));
        return;
      }
      default:
        startInstruction(this, {
          inst: rec,
          q,
          t: cycle,
          placed: rec.placed,
          work: undefined,
        } satisfies Activity);
    }
    this.scheduleNext(q);
  }

  private notify(chip: ChipState, token: string, cycle: number): void {
    if (chip.notified.has(token)) return;
    chip.notified.set(token, cycle);
    const parked = chip.parked.get(token) ?? [];
    chip.parked.delete(token);
    for (const q of parked) {
      const t = q.parked!.t;
      q.parked = undefined;
      this.release(q, Math.max(t, cycle + 1));
    }
  }

  /** A sync completes at `done`; the queue's next instruction may issue the cycle after. */
  private release(q: QueueState, done: number): void {
    q.resources.set("queue", { from: done, until: done + 1, by: q.insts[q.next - 1]! });
    q.nextFree = done + 1;
    q.releasedAt = done;
    if (done + 1 > q.chip.end) q.chip.end = done + 1;
    if (this.logEntries) this.note(q.chip, done, `${q.name} sync completes`);
    this.scheduleNext(q);
  }

  // ---- services for the units ----

  addHazard(h: Hazard): void {
    const key = h.inst ? `${h.inst.id}:${h.name}` : `${h.chip}:${h.where}:${h.name}:${h.args.join(",")}`;
    if (this.hazardKeys.has(key)) return;
    this.hazardKeys.add(key);
    this.hazards.push(h);
    const errors = this.hazards.filter(
      (x) => x.name !== "link-unreceived" && x.name !== "too-many-hazards",
    ).length;
    if (errors >= this.maxHazards && !this.stopped) {
      this.stopped = true;
      this.hazards.push({ name: "too-many-hazards", chip: h.chip, cycle: h.cycle, args: [errors] });
    }
  }

  /** Reports a hazard of an instruction once (the first vector that meets it). */
  hazard(
    name: HazardName,
    inst: InstRecord,
    cycle: number,
    args: readonly (string | number)[],
    hint?: string,
  ): void {
    this.addHazard({ name, chip: inst.chip, inst, cycle, args, hint });
  }

  note(chip: ChipState, cycle: number, text: string): void {
    this.logEntries?.push({ chip: chip.id, cycle, text });
  }

  /** Takes a stream group at the activity's position; missing planes are reported and read as zeros. */
  take(act: Activity, ref: StreamRef, bytes: number, cycle: number, what = ""): Uint8Array[] | null {
    const chip = act.q.chip;
    const dir = ref.dir === "e" ? 0 : 1;
    const out: Uint8Array[] = [];
    for (let b = 0; b < bytes; b++) {
      const w = chip.streams.take(dir, ref.id + b, act.q.position, cycle);
      if (!w) {
        const name = `s${ref.id + b}${ref.dir}`;
        this.hazard("stream-empty", act.inst, cycle, [`${what}${name}`, act.q.position]);
        out.push(this.zero);
      } else out.push(w.value ?? this.zero);
    }
    if (this.logEntries) {
      const last = bytes > 1 ? `..s${ref.id + bytes - 1}${ref.dir}` : "";
      if (this.logEntries)
        this.note(
          chip,
          cycle,
          `${act.q.name} takes ${what}s${ref.id}${ref.dir}${last} at position ${act.q.position}`,
        );
    }
    return this.functional ? out : null;
  }

  /** Puts a stream group at the activity's position. */
  put(
    act: Activity,
    ref: StreamRef,
    planes: readonly Uint8Array[] | null,
    bytes: number,
    cycle: number,
    type?: ElemType,
  ): void {
    const chip = act.q.chip;
    const dir = ref.dir === "e" ? 0 : 1;
    for (let b = 0; b < bytes; b++) {
      const value = planes ? planes[b]! : null;
      const lost = chip.streams.put(dir, ref.id + b, act.q.position, cycle, value, act.inst.id);
      if (lost >= 0) {
        this.hazard("stream-overwrite", act.inst, cycle, [
          `s${ref.id + b}${ref.dir}`,
          act.q.position,
          this.instName(lost),
        ]);
      }
    }
    if (this.logEntries) {
      const preview = planes ? ` ${previewWord(planes, type, this.lanes)}` : "";
      if (this.logEntries)
        this.note(
          chip,
          cycle,
          `${act.q.name} puts s${ref.id}${ref.dir}${bytes > 1 ? `..s${ref.id + bytes - 1}${ref.dir}` : ""} at position ${act.q.position}${preview}`,
        );
    }
  }

  private instIndex: InstRecord[] | undefined;
  /** "mem3 #2 'read'" for an instruction id. */
  instName(id: number): string {
    if (!this.instIndex) {
      this.instIndex = [];
      for (const c of this.prepared.chips)
        for (const q of c.queues) for (const r of q.insts) this.instIndex[r.id] = r;
    }
    const r = this.instIndex[id];
    return r ? `${r.queue} #${r.k} '${mnemonicOf(r.placed.inst)}'` : `instruction ${id}`;
  }

  bytesOf(t: ElemType): number {
    return ELEM_BYTES[t];
  }
}
