// The state of one chip during a run: its queues, stream registers, SRAM, MXM planes, link ends, pending events
// and clock. Plain data with small helpers; the rules that change it live in simulator.ts and units-*.ts.
import type { ElemType, Placed, UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { ChipClock } from "./clock.ts";
import type { InstRecord } from "./hazards.ts";
import { EventHeap } from "./heap.ts";
import { Sram } from "./sram.ts";
import { StreamFile } from "./streams.ts";

/** What a queue's unit is doing with one resource (docs/isa.md "Queues and issue"). */
export interface Occupancy {
  from: number;
  until: number;
  by: InstRecord;
}

export interface QueueState {
  readonly chip: ChipState;
  readonly name: string;
  readonly kind: UnitKind;
  readonly index: number;
  readonly order: number;
  readonly position: number;
  readonly insts: readonly InstRecord[];
  /** Index of the next instruction to issue. */
  next: number;
  lastIssue: number;
  /** Issue cycle of the next instruction when it gives none. */
  nextFree: number;
  /** A fault to report when the next instruction issues: out of order, or its cycle passed while parked. */
  pendingFault:
    | { readonly kind: "order" | "late"; readonly wanted: number; readonly ref: number }
    | undefined;
  readonly resources: Map<string, Occupancy>;
  parked: { readonly token: string; readonly t: number; readonly inst: InstRecord } | undefined;
  /** Cycle the last sync completed, until the next instruction is scheduled (for late-issue). */
  releasedAt: number | undefined;
  /** Busy cycles of the unit (ICU instructions excluded), and the end of the union counted so far. */
  busy: number;
  covered: number;
}

export class MxmPlane {
  staging: Float64Array | undefined;
  stagingType: ElemType | undefined;
  weights: Float64Array | undefined;
  weightsType: ElemType | undefined;
  /** The iw that installed the weights, and from when abc may use them. */
  installedBy: InstRecord | undefined;
  usableFrom = 0;
  acc: Float64Array | undefined;
  /** Per accumulator row: cycle its last abc result is in (NaN = never written), and its type. */
  readonly readyAt: Float64Array;
  readonly rowType: (ElemType | undefined)[];

  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly accRows: number,
  ) {
    this.readyAt = new Float64Array(accRows).fill(Number.NaN);
    this.rowType = new Array<ElemType | undefined>(accRows).fill(undefined);
  }
}

/** One end of a link: the send buffer and serialiser, and the words that arrived and wait for a recv. */
export class LinkEnd {
  /** Cycle (ceil f_j) each buffered word leaves, oldest first. */
  readonly buffer: number[] = [];
  /** End of the last word's serialisation, in units of 1/den cycles. */
  lastFinish = 0;
  readonly arrived: { readonly value: Uint8Array | null; readonly at: number }[] = [];
  inFlight = 0;
  sent = 0;
  received = 0;
  peer: { readonly chip: ChipState; readonly link: number } | undefined;

  constructor(readonly link: number) {}
}

export interface LogEntry {
  readonly chip: number;
  readonly cycle: number;
  readonly text: string;
}

export class ChipState {
  readonly heap = new EventHeap();
  readonly streams: StreamFile;
  readonly sram: Sram;
  readonly planes: MxmPlane[] = [];
  readonly links: LinkEnd[] = [];
  readonly queues: QueueState[] = [];
  /** First cycle each token was notified. */
  readonly notified = new Map<string, number>();
  readonly parked = new Map<string, QueueState[]>();
  deskewAt = -1;
  /** Last cycle processed, and one past the last cycle anything happened or a unit was occupied. */
  lastCycle = -1;
  end = 0;

  constructor(
    readonly id: number,
    readonly m: Machine,
    readonly clock: ChipClock,
    readonly memPositions: readonly number[],
    functional: boolean,
  ) {
    this.streams = new StreamFile(m.streamsPerDirection, m.sliceOrder.length);
    this.sram = new Sram(memPositions.length, m.mem.wordsPerSlice, m.mem.banksPerSlice, m.lanes, functional);
    for (let p = 0; p < m.mxm.planes; p++)
      this.planes.push(new MxmPlane(m.mxm.rows, m.mxm.cols, m.mxm.accumulatorRows));
    for (let l = 0; l < m.c2c.links; l++) this.links.push(new LinkEnd(l));
  }
}

/** An instruction being executed: its issue cycle and per-op working state. */
export interface Activity {
  readonly inst: InstRecord;
  readonly q: QueueState;
  readonly t: number;
  readonly placed: Placed;
  /** vaccum's running sum; transpose's group of input vectors. */
  work: Float64Array | Uint8Array[][] | undefined;
}
