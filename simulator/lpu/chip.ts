// The state of one chip during a run: its queues, stream registers, SRAM, MXM planes, link ends, pending events
// and clock. Plain data with small helpers; the rules that change it live in simulator.ts and units-*.ts.
// Per-instruction state lives in typed arrays indexed by instruction id (code.ts, simulator.ts), never in objects.
import type { ElemType, UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { ChipClock } from "./clock.ts";
import { RES_NAME, RES_SLOTS } from "./code.ts";
import { EventQueue } from "./events.ts";
import type { InstRecord } from "./hazards.ts";
import { Sram } from "./sram.ts";
import { StreamFile } from "./streams.ts";

/** What a queue's unit is doing with one resource (docs/isa.md "Queues and issue"). */
export interface Occupancy {
  from: number;
  until: number;
  by: InstRecord;
}

/** Builds the InstRecord of an instruction id (cached by the simulator, so records compare by identity). */
export type RecordOf = (id: number) => InstRecord;

export class QueueState {
  /** Index of the next instruction to issue (within the queue). */
  next = 0;
  lastIssue = Number.NEGATIVE_INFINITY;
  /** Issue cycle of the next instruction when it gives none. */
  nextFree = 0;
  /** A fault to report when the next instruction issues: out of order, or its cycle passed while parked. */
  pendingFault:
    | { readonly kind: "order" | "late"; readonly wanted: number; readonly ref: number }
    | undefined = undefined;
  parked:
    | { readonly token: string; readonly tokenId: number; readonly t: number; readonly id: number }
    | undefined = undefined;
  /** Cycle the last sync completed, until the next instruction is scheduled (for late-issue). */
  releasedAt: number | undefined = undefined;
  /** Busy cycles of the unit (ICU instructions excluded), and the end of the union counted so far. */
  busy = 0;
  covered = 0;
  private records: InstRecord[] | undefined;

  constructor(
    readonly chip: ChipState,
    /** Number of the queue across all chips (the owner of its issue events). */
    readonly serial: number,
    readonly name: string,
    readonly kind: UnitKind,
    readonly index: number,
    readonly order: number,
    readonly position: number,
    /** Id of the queue's first instruction; its instructions are ids base .. base + count - 1. */
    readonly base: number,
    readonly count: number,
    private readonly recordOf: RecordOf,
    /** The resource slots of every queue of the simulator (QueueResources); this queue's are RES_SLOTS from resAt. */
    private readonly res: QueueResources,
    private readonly resAt: number,
  ) {}

  /** Slot `slot` (code.ts RES_SLOT; 0 is the queue itself) is occupied until (exclusive; -Infinity: never). */
  resUntil(slot: number): number {
    return this.res.until[this.resAt + slot]!;
  }

  /** The instruction occupying slot `slot` (-1: none ever). */
  resBy(slot: number): number {
    return this.res.by[this.resAt + slot]!;
  }

  /** Slot `slot` is occupied [from, until) by instruction `by`, opcode `op`. */
  occupy(slot: number, from: number, until: number, by: number, op: number): void {
    const k = this.resAt + slot;
    const r = this.res;
    r.from[k] = from;
    r.until[k] = until;
    r.by[k] = by;
    r.op[k] = op;
  }

  /** Back to the state the constructor gives (for a fast run that wrote its final states and then gave way). */
  reset(): void {
    this.next = 0;
    this.lastIssue = Number.NEGATIVE_INFINITY;
    this.nextFree = 0;
    this.pendingFault = undefined;
    for (let slot = 0; slot < RES_SLOTS; slot++)
      this.occupy(slot, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -1);
    this.parked = undefined;
    this.releasedAt = undefined;
    this.busy = 0;
    this.covered = 0;
  }

  /** The queue's instructions as records (built on first use: the run itself never needs them). */
  get insts(): readonly InstRecord[] {
    if (!this.records) {
      this.records = [];
      for (let k = 0; k < this.count; k++) this.records.push(this.recordOf(this.base + k));
    }
    return this.records;
  }

  /** The resources ever occupied, by name (for state() and traces). */
  get resources(): ReadonlyMap<string, Occupancy> {
    const out = new Map<string, Occupancy>();
    for (let slot = 0; slot < RES_SLOTS; slot++) {
      const k = this.resAt + slot;
      const by = this.res.by[k]!;
      if (by >= 0)
        out.set(RES_NAME[this.res.op[k]!]!, {
          from: this.res.from[k]!,
          until: this.res.until[k]!,
          by: this.recordOf(by),
        });
    }
    return out;
  }
}

/**
 * The resource slots of every queue of a simulator (QueueState.occupy), RES_SLOTS a queue from its serial times
 * RES_SLOTS: occupied [from, until) by instruction `by` (-1: never) for opcode `op` (its name in reports: RES_NAME).
 * Four arrays for all queues rather than four per queue: tens of thousands of queues' small arrays were most of what
 * constructing a large program's simulator allocated, all of it kept to the end.
 */
export class QueueResources {
  readonly from: Float64Array;
  readonly until: Float64Array;
  readonly by: Float64Array;
  readonly op: Int8Array;
  /** For `queues` queues, never occupied. */
  constructor(queues: number) {
    const n = queues * RES_SLOTS;
    const buf = new ArrayBuffer(25 * n);
    this.from = new Float64Array(buf, 0, n).fill(Number.NEGATIVE_INFINITY);
    this.until = new Float64Array(buf, 8 * n, n).fill(Number.NEGATIVE_INFINITY);
    this.by = new Float64Array(buf, 16 * n, n).fill(-1);
    this.op = new Int8Array(buf, 24 * n, n).fill(-1);
  }
}

/** Rows a fast run wrote (MxmPlane.useWrittenRows) into a plane's per-row arrays. */
function writeRows(
  w: { readonly rows: Int32Array; readonly ready: Float64Array; readonly types: Uint8Array },
  ready: Float64Array,
  types: Uint8Array,
): void {
  for (let i = 0; i < w.rows.length; i++) {
    ready[w.rows[i]!] = w.ready[i]!;
    types[w.rows[i]!] = w.types[i]!;
  }
}

export class MxmPlane {
  staging: Float64Array | undefined;
  stagingType: ElemType | undefined;
  weights: Float64Array | undefined;
  weightsType: ElemType | undefined;
  /** The iw that installed the weights (instruction id, -1 none), and from when abc may use them. */
  installedBy = -1;
  usableFrom = 0;
  acc: Float64Array | undefined;
  private ready: Float64Array | undefined;
  private types: Uint8Array | undefined;
  /** Rows a fast run wrote (useWrittenRows), spread into `ready` and `types` on first look. */
  private written: { rows: Int32Array; ready: Float64Array; types: Uint8Array } | undefined;

  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly accRows: number,
  ) {}

  /** Per accumulator row: cycle its last abc result is in (NaN = never written). Allocated on first use, so the
   * planes of hundreds of chips that never use them cost nothing. */
  get readyAt(): Float64Array {
    if (!this.ready) this.spread();
    return this.ready!;
  }

  /** Per accumulator row: the type code of its result (255: none). */
  get rowType(): Uint8Array {
    if (!this.types) this.spread();
    return this.types!;
  }

  /** Whether the per-row arrays exist (or the rows a fast run wrote). */
  get hasRows(): boolean {
    return (this.ready !== undefined && this.types !== undefined) || this.written !== undefined;
  }

  /** Gives the plane the rows a fast run wrote (increasing row numbers, each one's ready cycle and type code; the
   * others were never written): ~43 rows of 1,024 on a stamped llama2-70b's planes, kept as they are until something
   * looks at the plane's rows (fast/run.ts). A plane that has rows already takes them over its own. */
  useWrittenRows(rows: Int32Array, ready: Float64Array, types: Uint8Array): void {
    if (this.hasRows) {
      this.spread();
      writeRows({ rows, ready, types }, this.ready!, this.types!);
    } else this.written = { rows, ready, types };
  }

  /** Makes both per-row arrays, with the written rows if any. */
  private spread(): void {
    const ready = this.ready ?? new Float64Array(this.accRows).fill(Number.NaN);
    const types = this.types ?? new Uint8Array(this.accRows).fill(255);
    if (this.written) writeRows(this.written, ready, types);
    this.written = undefined;
    this.ready = ready;
    this.types = types;
  }
}

/** Bytes of up to four byte planes of one vector (and an fp64 row for MXM results), reused through a pool. */
export class Vec {
  readonly planes: Uint8Array[];
  readonly f64: Float64Array;
  constructor(lanes: number) {
    this.planes = [
      new Uint8Array(lanes),
      new Uint8Array(lanes),
      new Uint8Array(lanes),
      new Uint8Array(lanes),
    ];
    this.f64 = new Float64Array(lanes);
  }
}

/** The send buffer of a link that has sent nothing (never written: the first word replaces it, units-c2c.ts): a
 * typed array per link end of every chip costs ~10 us each to make. */
const NO_WORDS = new Float64Array(0);

/** One end of a link: the send buffer and serialiser, and the words that arrived and wait for a recv. */
export class LinkEnd {
  /** Cycle (ceil f_j) each buffered word leaves, oldest first (a ring: bufHead .. bufTail; allocated on first use). */
  buffer: Float64Array = NO_WORDS;
  bufHead = 0;
  bufLen = 0;
  /** End of the last word's serialisation, in units of 1/den cycles. */
  lastFinish = 0;
  /** Words arrived and not received, oldest first: their values (null when values are off). */
  readonly arrived: (Uint8Array | null)[] = [];
  arrivedHead = 0;
  inFlight = 0;
  sent = 0;
  received = 0;
  peer: { readonly chip: ChipState; readonly link: number } | undefined;

  constructor(readonly link: number) {}

  get waiting(): number {
    return this.arrived.length - this.arrivedHead;
  }
}

export interface LogEntry {
  readonly chip: number;
  readonly cycle: number;
  readonly text: string;
}

export class ChipState {
  private events: EventQueue | undefined;
  /** Puts the chip's first issues on its calendar; run when the calendar is first needed, so that a run the fast
   * path simulates (fast/run.ts) builds no calendar for its chips at all. */
  schedule: (() => void) | undefined;
  readonly streams: StreamFile;
  readonly sram: Sram;
  readonly planes: MxmPlane[] = [];
  readonly links: LinkEnd[] = [];
  readonly queues: QueueState[] = [];
  /** First cycle each token (by number) was notified. */
  readonly notified = new Map<number, number>();
  readonly parked = new Map<number, QueueState[]>();
  deskewAt = -1;
  /** Last cycle processed, and one past the last cycle anything happened or a unit was occupied. */
  lastCycle = -1;
  end = 0;

  constructor(
    readonly id: number,
    /** Position in the simulator's chip list. */
    readonly order: number,
    readonly m: Machine,
    readonly clock: ChipClock,
    readonly memPositions: readonly number[],
    functional: boolean,
  ) {
    this.streams = new StreamFile(m.streamsPerDirection, m.sliceOrder.length, m.lanes, functional);
    this.sram = new Sram(memPositions.length, m.mem.wordsPerSlice, m.mem.banksPerSlice, m.lanes, functional);
    for (let p = 0; p < m.mxm.planes; p++)
      this.planes.push(new MxmPlane(m.mxm.rows, m.mxm.cols, m.mxm.accumulatorRows));
    for (let l = 0; l < m.c2c.links; l++) this.links.push(new LinkEnd(l));
  }

  /** The chip's pending events (built, with its first issues, on first use). */
  get heap(): EventQueue {
    if (!this.events) {
      this.events = new EventQueue();
      const first = this.schedule;
      this.schedule = undefined;
      first?.();
    }
    return this.events;
  }

  /** Whether no event is pending (without building the calendar when nothing was scheduled). */
  get idle(): boolean {
    if (!this.events && !this.schedule) return true;
    return this.heap.size === 0;
  }

  /** Forgets every pending event and the first issues (the fast path ran the program without them). */
  dropEvents(): void {
    this.schedule = undefined;
    this.events?.clear();
  }

  /** Global time of the next event cycle (Infinity when there is none): the multi-chip order (chip-order.ts). */
  nextTime(): number {
    const k = this.heap.peekCycle();
    return k === Number.POSITIVE_INFINITY ? k : this.clock.globalTime(k);
  }
}
