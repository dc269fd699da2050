// Trying a task at a start against the placed reservations: in, its geometry, chip and start; out, the choice of
// VXM ALUs and streams (the first free of each, in order) or the shift that clears the first conflicts, and, once
// it fits, its reservations committed to the tables. A shift never skips a start where the task fits.
import type { StreamRef } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { Placement, Task } from "../passes/task-ir.ts";
import { deskewClash } from "./deskew.ts";
import type { Geometry } from "./geometry.ts";
import { streamRef } from "./instructions.ts";
import { PlacedTables } from "./placed-tables.ts";
import { Reserver } from "./reserve.ts";
import { BANK, QUEUE, ResBuffer, type ResKind, STREAM } from "./resources.ts";

export interface Choice {
  /** VXM ALU per instance (undefined for fixed units). */
  readonly alu: (number | undefined)[];
  /** Base stream and direction per flow group. */
  readonly streams: StreamRef[];
}

export interface TryResult {
  readonly shift: number;
  /** The kind of reservation behind the shift (QUEUE when it is 0). */
  readonly kind: ResKind;
  readonly choice?: Choice;
}

export class Trial {
  /** The placed tasks' reservations (placed-tables.ts). */
  private readonly placed: PlacedTables;
  private readonly reserve: Reserver;
  /** The reservations of the task under trial; after a successful tryAt, exactly what placing it commits. */
  private readonly buf = new ResBuffer();
  /** One flow group's stream rectangles, before a stream id is chosen for them (key: the offset in the group). */
  private readonly rects = new ResBuffer();
  // Which table ids the trial's accepted entries use (stamp === the trial's number), per kind, and the newest
  // such entry per table (a chain through `sameKey`): a new entry is checked against the trial's own entries of
  // its table only (a scan of all of them was quadratic in the entries of a task).
  private readonly stamps: readonly [Int32Array, Int32Array, Int32Array];
  private readonly heads: readonly [Int32Array, Int32Array, Int32Array];
  /** The placed tables' last ends and starts (PlacedTables', read here on every check). */
  private readonly lastEnd: readonly [Int32Array, Int32Array, Int32Array];
  private readonly lastStart: readonly [Int32Array, Int32Array];
  /** Per accepted trial entry: the previous accepted entry of the same table, or -1. */
  private readonly sameKey: number[] = [];
  private trialNumber = 0;
  /** The largest conflict with placed reservations alone in the last check: a candidate cannot move less than that
   * and clear them (the placed tables do not change while one task is searched). */
  private tableNeed = 0;
  /** Per candidate of the task under search (a VXM instance's ALU, then a flow group's direction and stream id):
   * the start before which placed reservations block it, so later tries skip it without a check. */
  private notBefore = new Int32Array(64);
  private streamMemo = 0;
  /** The choice under trial (reused from try to try). */
  private readonly alu: (number | undefined)[] = [];
  private readonly chosenStreams: StreamRef[] = [];

  constructor(
    private readonly m: Machine,
    chips: number,
    placements: ReadonlyMap<string, Placement>,
    /** Whether chips talk (sends must clear the deskews). */
    private readonly multiChip: boolean,
    private readonly deskewPeriod: number,
  ) {
    this.reserve = new Reserver(m, chips, placements);
    const [q, b, s] = this.reserve.sizes;
    this.placed = new PlacedTables(q, b, s);
    this.lastEnd = this.placed.lastEnd;
    this.lastStart = this.placed.lastStart;
    this.stamps = [new Int32Array(q), new Int32Array(b), new Int32Array(s)];
    this.heads = [new Int32Array(q), new Int32Array(b), new Int32Array(s)];
  }

  /** Starts the search for one task on one geometry (forgets what earlier searches learnt). */
  newSearch(geo: Geometry): void {
    this.streamMemo = geo.instances.length * this.m.vxm.alus;
    const size = this.streamMemo + geo.groups.length * 2 * this.m.streamsPerDirection;
    if (this.notBefore.length < size)
      this.notBefore = new Int32Array(Math.max(size, 2 * this.notBefore.length));
    this.notBefore.fill(-1, 0, size);
  }

  /** How far the start must move for every reservation without a choice (fixed units' queues and banks, sends
   * clear of deskews) to be free of the placed tables; 0 when they are (the task may still not fit there). */
  fixedClearance(geo: Geometry, chip: number, start: number, task: Task): number {
    const buf = this.buf;
    let skip = 0;
    for (const inst of geo.instances) {
      if (inst.unit === "vxm") continue;
      const st = task.steps[inst.step]!;
      if (st.kind === "send" && this.multiChip)
        skip = Math.max(
          skip,
          deskewClash(this.m, start + inst.rel, st.n * ELEM_BYTES[st.type], this.deskewPeriod),
        );
      buf.length = 0;
      this.reserve.unit(buf, inst, chip, start, inst.index!);
      if (inst.unit === "mem") {
        if (st.kind === "gather")
          this.reserve.gatherBanks(buf, inst, chip, start, st.ref.tensor, st.ref.tile);
        else this.reserve.banks(buf, inst, chip, start);
      }
      for (let r = 0; r < buf.length; r++) {
        const k = buf.kind[r]!;
        const id = buf.key[r]!;
        const s = buf.a[r]!;
        const end = this.lastEnd[k][id]!;
        if (end <= s || buf.b[r]! <= s) continue;
        // Starting inside the last interval: it is the first and only one to clear.
        if (this.lastStart[k as 0 | 1][id]! <= s) skip = Math.max(skip, end - s);
        else {
          const table = (k === QUEUE ? this.placed.queues : this.placed.banks).peek(id);
          if (table) skip = Math.max(skip, table.clearance(s, buf.b[r]!));
        }
      }
    }
    buf.length = 0;
    return skip;
  }

  /** Tries to start the task at `start`: the choice of ALUs and streams, or the shift needed (the largest of what
   * each reservation needs). Leaves the task's reservations in the trial (complete when the shift is 0). */
  tryAt(geo: Geometry, chip: number, start: number, task: Task): TryResult {
    const { m, buf, notBefore } = this;
    buf.length = 0;
    this.trialNumber++;
    let shift = 0;
    let kind: ResKind = QUEUE;
    // Scratch for the choice: copied out only when the task fits (most tries do not).
    const alu = this.alu;
    alu.length = 0;
    const instances = geo.instances;
    for (let ii = 0; ii < instances.length; ii++) {
      const inst = instances[ii]!;
      const st = task.steps[inst.step]!;
      if (st.kind === "send" && this.multiChip) {
        const c = deskewClash(m, start + inst.rel, st.n * ELEM_BYTES[st.type], this.deskewPeriod);
        if (c > shift) {
          shift = c;
          kind = QUEUE;
        }
      }
      if (inst.unit === "vxm") {
        // The first free ALU, skipping those a placed reservation still blocks at this start.
        const memo = ii * m.vxm.alus;
        let chosen: number | undefined;
        for (let a = 0; a < m.vxm.alus && chosen === undefined; a++) {
          if (notBefore[memo + a]! > start) continue;
          const from = buf.length;
          this.reserve.unit(buf, inst, chip, start, a);
          if (this.conflict(from, 1) === 0) chosen = a;
          else {
            notBefore[memo + a] = start + this.tableNeed;
            buf.length = from;
          }
        }
        alu.push(chosen);
        // None free: the shift is the smallest over the ALUs of what clears each.
        if (chosen === undefined) {
          let best = Number.POSITIVE_INFINITY;
          for (let a = 0; a < m.vxm.alus; a++) {
            const from = buf.length;
            this.reserve.unit(buf, inst, chip, start, a);
            best = Math.min(best, this.conflict(from, best));
            buf.length = from;
          }
          if (best > shift) {
            shift = best;
            kind = QUEUE;
          }
        }
      } else {
        alu.push(undefined);
        let from = buf.length;
        this.reserve.unit(buf, inst, chip, start, inst.index!);
        const c = this.conflict(from);
        if (c > 0) {
          buf.length = from;
          if (c > shift) {
            shift = c;
            kind = QUEUE;
          }
        }
        if (inst.unit === "mem") {
          from = buf.length;
          if (st.kind === "gather")
            this.reserve.gatherBanks(buf, inst, chip, start, st.ref.tensor, st.ref.tile);
          else this.reserve.banks(buf, inst, chip, start);
          const cb = this.conflict(from);
          if (cb > 0) {
            buf.length = from;
            if (cb > shift) {
              shift = cb;
              kind = BANK;
            }
          }
        }
      }
    }
    const chosenStreams = this.chosenStreams;
    const groups = geo.groups;
    chosenStreams.length = groups.length;
    // The groups with one direction choose first, then those that may take either (undirected: producer and
    // consumer at one position): in index order alone, an undirected group took a side's last free ids and a
    // directed group after it found none at every start, so the task conflicted with itself (llama2-70b-fp8
    // prefill's K-split sum of seven fp32 parts, 16 rows each: 13 groups of 4 streams, 5 undirected).
    for (let pass = 0; pass < 2; pass++)
      for (let gi = 0; gi < groups.length; gi++) {
        if ((groups[gi]!.dir === undefined) !== (pass === 1)) continue;
        // A weight load's streams (14 to 16 ids for 40 to 320 cycles) are taken from id 0 up, every other flow's
        // (a few ids, mostly short) from the top down: first free ids for both put a 2-stream read on ids 0 and 1 and
        // pushed a load to 2..15, where a second load on that side no longer fitted (docs/compiler.md).
        const chosen = this.chooseStreams(geo, gi, chip, start, !groups[gi]!.load);
        if (typeof chosen !== "number") chosenStreams[gi] = chosen;
        else {
          chosenStreams[gi] = streamRef(0, groups[gi]!.dir ?? "e");
          if (chosen > shift) {
            shift = chosen;
            kind = STREAM;
          }
        }
      }
    return shift > 0
      ? { shift, kind }
      : { shift: 0, kind, choice: { alu: alu.slice(), streams: chosenStreams.slice() } };
  }

  /** Commits the last successful tryAt's reservations to the tables. */
  commit(): void {
    this.placed.commit(this.buf);
  }

  /** The flow group's streams: the first free direction and id, counting ids from the top when `fromTop` (its
   * rectangles accepted into the trial), or, when none is free, the smallest shift over them that clears each. */
  private chooseStreams(
    geo: Geometry,
    gi: number,
    chip: number,
    start: number,
    fromTop: boolean,
  ): StreamRef | number {
    const { m, notBefore } = this;
    const grp = geo.groups[gi]!;
    const spd = m.streamsPerDirection;
    // The group's rectangles are the same on every id: one set per direction, checked per id.
    const memo = this.streamMemo + gi * 2 * spd;
    for (let d = 0; d < 2; d++) {
      const dir = grp.dir ?? (d === 0 ? "e" : "w");
      if (grp.dir && d > 0) break;
      this.rects.length = 0;
      this.reserve.flowRects(this.rects, geo, gi, start, dir);
      for (let k = 0; k + grp.streams <= spd; k++) {
        const id = fromTop ? spd - grp.streams - k : k;
        const slot = memo + d * spd + id;
        if (notBefore[slot]! > start) continue;
        if (this.streamConflict(this.reserve.streamId(chip, dir, id), 1) === 0) return streamRef(id, dir);
        notBefore[slot] = start + this.tableNeed;
      }
    }
    let best = Number.POSITIVE_INFINITY;
    for (let d = 0; d < 2; d++) {
      const dir = grp.dir ?? (d === 0 ? "e" : "w");
      if (grp.dir && d > 0) break;
      this.rects.length = 0;
      this.reserve.flowRects(this.rects, geo, gi, start, dir);
      for (let id = 0; id + grp.streams <= spd; id++)
        best = Math.min(best, this.streamConflict(this.reserve.streamId(chip, dir, id), best));
    }
    return best;
  }

  /** The shift that clears trial entries [from, length) of the placed tables and of the trial's earlier entries
   * (the task's own reservations so far); 0 when they are free, and then the entries are accepted. Stops early
   * (returning a value >= `limit`) once the shift reaches `limit`: a candidate that cannot beat the best so far. */
  private conflict(from: number, limit = Number.POSITIVE_INFINITY): number {
    const { buf, stamps, heads, sameKey, trialNumber, lastEnd } = this;
    const { kind, key, a, b, lo, hi } = buf;
    let need = 0;
    let table = 0;
    for (let r = from; r < buf.length && need < limit; r++) {
      const k = kind[r]!;
      const id = key[r]!;
      const s = a[r]!;
      const e = b[r]!;
      let l = stamps[k][id] === trialNumber ? heads[k][id]! : -1;
      const placed = lastEnd[k][id]! > s;
      if (k === STREAM) {
        const c = placed ? this.placed.streamConflict(id, s, e, lo[r]!, hi[r]!) : 0;
        if (c > table) table = c;
        for (; l >= 0; l = sameKey[l]!)
          if (b[l]! > s && a[l]! < e && lo[l]! <= hi[r]! && lo[r]! <= hi[l]!)
            need = Math.max(need, b[l]! - s);
      } else {
        const c = placed ? this.placed.conflict(k, id, s, e) : 0;
        if (c > table) table = c;
        for (; l >= 0; l = sameKey[l]!) if (b[l]! > s && a[l]! < e) need = Math.max(need, b[l]! - s);
      }
      if (table > need) need = table;
    }
    this.tableNeed = table;
    if (need === 0) for (let r = from; r < buf.length; r++) this.accept(r);
    return need;
  }

  /** `conflict` of the group's rectangles on the streams from `base` on, without copying them into the trial
   * unless they are free (then they are accepted). */
  private streamConflict(base: number, limit: number): number {
    const { buf, rects, sameKey, trialNumber } = this;
    const own = this.stamps[STREAM];
    const head = this.heads[STREAM];
    const last = this.lastEnd[STREAM];
    const { key, a, b, lo, hi } = rects;
    let need = 0;
    let table = 0;
    for (let r = 0; r < rects.length && need < limit; r++) {
      const id = base + key[r]!;
      const s = a[r]!;
      const e = b[r]!;
      const c = last[id]! > s ? this.placed.streamConflict(id, s, e, lo[r]!, hi[r]!) : 0;
      if (c > table) table = c;
      if (own[id] === trialNumber)
        for (let l = head[id]!; l >= 0; l = sameKey[l]!)
          if (buf.b[l]! > s && buf.a[l]! < e && buf.lo[l]! <= hi[r]! && lo[r]! <= buf.hi[l]!)
            need = Math.max(need, buf.b[l]! - s);
      if (table > need) need = table;
    }
    this.tableNeed = table;
    if (need === 0)
      for (let r = 0; r < rects.length; r++) {
        buf.push(STREAM, base + key[r]!, a[r]!, b[r]!, lo[r]!, hi[r]!);
        this.accept(buf.length - 1);
      }
    return need;
  }

  /** Makes trial entry r one of the trial's own (checked against every later entry of its table). */
  private accept(r: number): void {
    const k = this.buf.kind[r]!;
    const id = this.buf.key[r]!;
    this.sameKey[r] = this.stamps[k][id] === this.trialNumber ? this.heads[k][id]! : -1;
    this.heads[k][id] = r;
    this.stamps[k][id] = this.trialNumber;
  }
}
