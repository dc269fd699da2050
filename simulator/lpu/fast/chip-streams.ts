// A chip's stream traffic in the run-length fast path (the units, chip-units.ts, call puts and takes): each put or
// take of n vectors becomes a run of records on diagonals (segments.ts), or, on a stamped copy, is compared with
// the operation its family's reference made (copy-log.ts), and the puts near the end are kept for state(). In: the
// operations of the chip's instructions, queue by queue. Out: the chip's stream records, checked when it ends
// (Bail on anything that might be a hazard), and `recent`.
import type { ChipState } from "../chip.ts";
import type { Simulator } from "../simulator.ts";
import { Bail } from "./bail.ts";
import type { FastQueue, Scratch } from "./chip-state.ts";
import * as state from "./chip-state.ts";
import * as copyLog from "./copy-log.ts";
import { type FamilyLogs, ListLog } from "./copy-log.ts";
import type { NumList } from "./num-list.ts";
import type { Segments } from "./segments.ts";
import * as segmentsOf from "./segments.ts";

// What a put or take reads per operation, as this module's own constants (fast/chip-run.ts: an imported binding is read
// through its module's import cell at each use; docs/performance.md, nineteenth round).
const { RECENT } = state;
const { opWord } = copyLog;
const { SEG_PUT, SEG_TAKE } = segmentsOf;

/** How a queue's stream operations are handled (FastQueue.logMode). */
const UNDECIDED = -1;
/** Stored as records (a chip with no family, or a list no reference logged). */
const PLAIN = 0;
/** The reference of a family: stored, and logged for the copies. */
const LOG = 1;
/** The reference's queue of its own (not shared): stored, and its groups never skipped on a copy. */
const OWN = 2;
/** A copy's shared queue: compared with the reference's log, stored only where the chip's end needs it. */
const COMPARE = 3;

export class FastStreams {
  protected readonly segments: Segments;
  /** Streams per direction. */
  protected readonly S: number;
  readonly putWindow: number;
  /** Puts as records of RECENT numbers, pruned to those whose last put is within PUT_WINDOW cycles of the latest:
   * only they can leave words on the streams at the end (final.ts). */
  protected readonly puts_: NumList;
  /** After run(): the puts that can leave words on the streams at the end. */
  recent: number[] = [];
  private latestPut = Number.NEGATIVE_INFINITY;
  /** Prune `recent` when it grows past this (twice what the last pruning kept: amortised O(1) per put). */
  private pruneAt = RECENT * 4096;
  /** The chip's family logs (undefined: no family), and whether this chip is the reference that writes them. */
  private readonly family: FamilyLogs | undefined;
  private readonly reference: boolean;
  /** The running queue's mode, its log and the log's next operation (saved in its FastQueue between turns). */
  private mode = PLAIN;
  private log: ListLog = NO_LOG;
  private cursor = 0;
  /** In COMPARE mode, the log's diagonals and length (complete: its reference ran before), read without the log. */
  private logD0s: Int32Array = NO_LOG.d0s;
  private logLength = 0;
  /** Cycles from the reference's operations to this copy's (one number for the whole chip, once `deltaKnown`; an
   * integer field, never NaN, so that the compare of every operation reads it unboxed). */
  private delta = 0;
  private deltaKnown = false;
  /** Stream groups whose every record matched the reference's, never stored or swept here (for benchmarks). */
  matchedGroups = 0;

  constructor(
    readonly sim: Simulator,
    readonly chip: ChipState,
    protected readonly scratch: Scratch,
  ) {
    this.S = sim.machine.streamsPerDirection;
    this.segments = scratch.segments;
    this.puts_ = scratch.recent;
    this.putWindow = 2 * sim.machine.sliceOrder.length + 2;
    this.family = scratch.familyLogs(chip.id);
    this.reference = this.family?.reference === chip.id;
  }

  /**
   * Before the chip's first round of turns: how each queue's operations are handled, decided in the order that round
   * gives the queues their first turns (all of them: none is parked yet), as deciding on each first turn did. Apart
   * from the turns, so that the issue loop, which inlines enterQueue, holds none of it: the tables it reads change
   * from family to family, and a change met inside the loop sent the whole loop back to the interpreter.
   */
  protected decideAll(queues: readonly FastQueue[]): void {
    for (const fq of queues) this.decide(fq);
  }

  /** Before a queue's turn (decideAll decided its mode). */
  protected enterQueue(fq: FastQueue): void {
    this.segments.newQueue();
    if (fq.logMode === UNDECIDED)
      throw new Error("internal error: a queue's turn before its mode was decided");
    this.mode = fq.logMode;
    this.log = fq.log ?? NO_LOG;
    this.cursor = fq.cursor;
    this.logD0s = this.log.d0s;
    this.logLength = this.log.length;
  }

  /** After a queue's turn (it ended or parked on a sync). */
  protected leaveQueue(fq: FastQueue): void {
    fq.logMode = this.mode;
    fq.cursor = this.cursor;
  }

  private decide(fq: FastQueue): void {
    const fam = this.family;
    const pq = fq.pq;
    fq.logMode = PLAIN;
    if (!fam) return;
    const log = pq.shared ? fam.byList[pq.list] : undefined;
    if (this.reference) {
      if (!pq.shared) fq.logMode = OWN;
      else if (log) {
        // Two queues of one chip running one list: their operations interleave, so neither is logged.
        log.bad = true;
        fq.logMode = OWN;
      } else {
        const made = new ListLog(pq.shift, fq.q.position, pq.wired, this.scratch.chipArena);
        fam.byList[pq.list] = made;
        fam.logs.push(made);
        fq.log = made;
        fq.logMode = LOG;
      }
      return;
    }
    if (
      !log ||
      log.bad ||
      log.claimedBy === this.chip.id ||
      log.pos !== fq.q.position ||
      log.wired !== pq.wired
    )
      return;
    const delta = pq.shift - log.shift;
    if (this.deltaKnown && delta !== this.delta) return;
    this.delta = delta;
    this.deltaKnown = true;
    log.claimedBy = this.chip.id;
    fq.log = log;
    fq.cursor = 0;
    fq.logMode = COMPARE;
  }

  protected puts(g: number, bytes: number, pos: number, c0: number, n: number, id: number): void {
    if (this.mode !== COMPARE || !this.matches(g, pos, c0)) this.store(SEG_PUT, g, bytes, pos, c0, n);
    // Already outside the window of the latest put, which only moves later: pruning would drop it (a queue runs whole
    // before the next, so most of a chip's puts are behind the first queue's last ones). Kept small, with the
    // keeping apart, so that the issue loop inlines it whole.
    if (c0 + n - 1 >= this.latestPut - this.putWindow) this.keepPut(g, bytes, pos, c0, n, id);
  }

  /** A put that may leave words on the streams at the end: added to the last record or as a new one. */
  private keepPut(g: number, bytes: number, pos: number, c0: number, n: number, id: number): void {
    const last = c0 + n - 1;
    const recent = this.puts_;
    const d = recent.data;
    const k = recent.length - RECENT;
    if (
      k >= 0 &&
      d[k + 5] === n &&
      d[k]! + d[k + 6]! === id &&
      d[k + 4]! + d[k + 6]! * n === c0 &&
      d[k + 1] === g &&
      d[k + 2] === bytes &&
      d[k + 3] === pos
    )
      d[k + 6] = d[k + 6]! + 1;
    else {
      const at = recent.reserve(RECENT);
      const e = recent.data;
      e[at] = id;
      e[at + 1] = g;
      e[at + 2] = bytes;
      e[at + 3] = pos;
      e[at + 4] = c0;
      e[at + 5] = n;
      e[at + 6] = 1;
      recent.length = at + RECENT;
    }
    if (last > this.latestPut) this.latestPut = last;
    if (recent.length > this.pruneAt) this.prunePuts();
  }

  protected takes(g: number, bytes: number, pos: number, c0: number, n: number): void {
    if (this.mode !== COMPARE || !this.matches(g, pos, c0)) this.store(SEG_TAKE, g, bytes, pos, c0, n);
  }

  /**
   * On a copy's queue that follows its log (COMPARE), whether the operation at group g, position pos from cycle c0
   * is the log's next one moved by delta (then it is counted and not stored). Only the diagonal is compared: the
   * operation's kind, groups and vectors are its row's (ListLog). Small, so that puts and takes inline it.
   */
  private matches(g: number, pos: number, c0: number): boolean {
    const d0 = g >= this.S ? c0 + pos : c0 - pos;
    const k = this.cursor;
    if (k < this.logLength && this.logD0s[k]! + this.delta === d0) {
      if ((d0 | 0) !== d0) throw new Bail("a number beyond 32-bit integers");
      this.cursor = k + 1;
      return true;
    }
    return false;
  }

  /** One put or take of n vectors on `count` groups from g0 (one direction), at position pos from cycle c0, that
   * is not a logged operation's match: stored as records (and logged on a family's reference). */
  private store(kind: number, g0: number, count: number, pos: number, c0: number, n: number): void {
    if (this.mode === COMPARE) this.diverge();
    const mode = this.mode;
    this.segments.add(kind, g0, count, this.S, pos, c0, n);
    if (mode === LOG) this.log.push(opWord(kind, g0, count), g0 >= this.S ? c0 + pos : c0 - pos, n);
    else if (mode === OWN) {
      const own = this.family!.ownTouched;
      for (let g = g0; g < g0 + count; g++) own[g] = 1;
    }
  }

  /** The running queue's operations no longer follow its log: the ones that did are stored, and so is the rest. */
  private diverge(): void {
    this.replay(this.log, 0, this.cursor);
    this.mode = PLAIN;
  }

  /** Stores the log's operations [from, to) moved by the chip's delta, only on groups `only` marks if given. */
  private replay(log: ListLog, from: number, to: number, only?: Uint8Array): void {
    const ops = log.ops;
    const seg = this.segments;
    for (let k = from; k < to; k++) {
      const w = ops[2 * k]!;
      const kind = w & 1;
      const g0 = w >>> 16;
      const count = (w >>> 1) & 0x7fff;
      const d0 = log.d0s[k]! + this.delta;
      for (let g = g0; g < g0 + count; g++)
        if (!only || only[g] === 1) seg.addDiagonal(kind, g, this.S, log.pos, d0, ops[2 * k + 1]!);
    }
  }

  /**
   * At the chip's end, before its stream check: a copy's groups that only queues matching their logs touched, and
   * that only logged lists touched on the reference, hold the reference's records moved by delta and are left out;
   * every other group gets the matched queues' records too, so that it is checked whole.
   */
  protected settleCopies(queues: readonly FastQueue[]): void {
    const fam = this.family;
    if (!fam || this.reference) return;
    const seg = this.segments;
    for (const fq of queues) {
      if (fq.logMode !== COMPARE) continue;
      const log = fq.log!;
      if (fq.cursor === log.length) log.matchedBy = this.chip.id;
      else {
        // Fewer operations than the reference's: what it made is stored, as for a divergence.
        seg.newQueue();
        this.replay(log, 0, fq.cursor);
        fq.logMode = PLAIN;
      }
    }
    const groups = fam.ownTouched.length;
    const dirty = this.scratch.groupMarks(groups);
    const touched = this.scratch.groupMarks(groups, 1);
    for (let g = 0; g < groups; g++) dirty[g] = fam.ownTouched[g]! | (seg.sizeOf(g) > 0 ? 1 : 0);
    let unmatched = 0;
    for (const log of fam.logs) if (log.matchedBy !== this.chip.id) unmatched++;
    // Most copies match every log: the groups they touch are the family's (found once), not marked log by log.
    if (unmatched === 0) touched.set(fam.touchedByLogs());
    else for (const log of fam.logs) log.markGroups(log.matchedBy === this.chip.id ? touched : dirty);
    let anyDirty = false;
    for (let g = 0; g < groups; g++)
      if (dirty[g] === 1) anyDirty = true;
      else if (touched[g] === 1) this.matchedGroups++;
    if (!anyDirty) return;
    for (const log of fam.logs)
      if (log.matchedBy === this.chip.id) {
        seg.newQueue();
        this.replay(log, 0, log.length, dirty);
      }
  }

  /** When the chip ends: a reference's logs, complete, move from the chip's arena to the family's (Scratch). */
  protected settleLogs(): void {
    if (!this.reference) return;
    for (const log of this.family!.logs) log.settle(this.scratch.familyArena);
  }

  /** Keeps the puts whose last word is within the put window of the latest. */
  protected prunePuts(): void {
    const recent = this.puts_;
    const d = recent.data;
    const from = this.latestPut - this.putWindow;
    let k = 0;
    for (let j = 0; j < recent.length; j += RECENT)
      if (d[j + 4]! + d[j + 5]! * d[j + 6]! - 1 >= from) for (let f = 0; f < RECENT; f++) d[k++] = d[j + f]!;
    recent.length = k;
    this.pruneAt = Math.max(RECENT * 4096, 2 * k);
  }
}

/** The log of a queue that has none (never read: its mode is not LOG or COMPARE). */
const NO_LOG = new ListLog(0, 0, false, undefined);
