// One GPU's HBM: channels with banks, open rows, bank groups, the four-activate window and refresh, fed by
// per-channel queues served first-ready, first-come-first-served. In: requests (channel, byte address within the
// channel, bytes, owner); out: the time each request's data is back, and a CHANNEL_FREE event whenever a
// channel's data bus frees. Guarantees: every timing rule of the preset holds between the commands it models.
//
// Granularity (why it is fast): a request is a contiguous run of rows in one channel, a few KB to a few hundred KB
// (prepare.ts picks the size from the run's traffic). The first row of a request pays what its bank's state
// says (hit: CL; closed: RCD + CL; conflict: RP + RCD + CL; blocked by refresh: wait for the refresh to end);
// the rows after it stream across bank groups at the period the rules allow: burst time, tFAW / 4, tRRD_S.
// A request confined to one row keeps one bank group busy for bursts x tCCD_L while freeing the data bus after
// bursts x tBurst, so two such requests interleave at tCCD_S only when they are in different bank groups.
// `gang` channels run in lockstep as one (fine interleaving gives neighbouring channels the same stream): rows and
// bursts are `gang` times wider, timings unchanged. Per-bank refresh is modelled for the first row of a request
// (a refreshing bank delays it); within a streaming request other banks hide it. All-bank refresh blocks the whole
// channel for tRFC and closes every row. The controller activates a queued request's row while the bus is busy
// with another (bank-level parallelism), so a miss costs latency only when the bank or the queue was idle.
import type { GpuPreset } from "../../arch/gpu/presets.ts";
import type { Rng } from "../../util/random.ts";
import { Banks } from "./banks.ts";
import type { EventQueue } from "./events.ts";
import { RequestQueues } from "./queues.ts";

/** Rows per bank: only used to place background traffic at random rows (HBM2 8 Gb: 32,768 rows; assumed alike). */
const ROWS_PER_BANK = 32768;

export interface HbmShape {
  readonly channels: number;
  readonly banks: number;
  readonly groups: number;
  /** Bytes of one (ganged) row and of one (ganged) burst. */
  readonly rowBytes: number;
  readonly burstBytes: number;
  /** Data-bus time of one burst, ns: the larger of tCCD_S and the pin transfer time. */
  readonly tBurst: number;
  /** Peak bytes per ns of one (ganged) channel. */
  readonly channelGBps: number;
}

export function hbmShape(p: GpuPreset): HbmShape {
  const h = p.hbm;
  const channels = h.channels / h.gang;
  const pcGBps = h.peakGBps / h.channels;
  return {
    channels,
    banks: h.bankGroups * h.banksPerGroup,
    groups: h.bankGroups,
    rowBytes: h.rowBytes * h.gang,
    burstBytes: h.burstBytes * h.gang,
    tBurst: Math.max(h.timing.tCCD_S, h.burstBytes / pcGBps),
    channelGBps: pcGBps * h.gang,
  };
}

export interface Background {
  /** Share of each channel's peak bandwidth the co-tenant asks for. */
  readonly fraction: number;
  readonly bytes: number;
  readonly rng: Rng;
}

export class Hbm {
  readonly shape: HbmShape;
  private readonly t: GpuPreset["hbm"]["timing"];
  private readonly perBank: boolean;
  private readonly phase: Float64Array;
  /** Per-bank refresh: when bank b of channel c starts refreshing within each tREFI (channel phase + stagger). */
  private readonly bankPhase: Float64Array;
  private readonly banks: Banks;
  private readonly groupFree: Float64Array;
  private readonly busFree: Float64Array;
  /** When the controller may start the next request's columns (interleaving single-row requests). */
  private readonly nextPick: Float64Array;
  private readonly busy: Uint8Array;
  private readonly lastAct: Float64Array;
  private readonly faw: Float64Array;
  private readonly fawNext: Int32Array;
  private readonly refreshIndex: Float64Array;
  private readonly nextBg: Float64Array;
  private readonly q: RequestQueues;
  /** Counters for the energy model and for tests (typed, so counting allocates nothing). */
  private readonly counts = new Float64Array(2);
  get bytes(): number {
    return this.counts[0]!;
  }
  get backgroundBytes(): number {
    return this.counts[1]!;
  }
  rowHits = 0;
  rowMisses = 0;
  rowConflicts = 0;

  constructor(
    preset: GpuPreset,
    /** Refresh phase of each channel in [0, 1) of tREFI: the seed's doing. */
    phases: readonly number[],
    private readonly queue: EventQueue,
    private readonly freeEvent: number,
    private readonly gpu: number,
    /** Called when a request's data time is known: (owner, time). */
    private readonly done: (owner: number, time: number) => void,
    private readonly background?: Background,
    /** Called for each of this GPU's own requests (not background ones): channel, picked, data back, bytes. */
    private readonly served?: (channel: number, start: number, end: number, bytes: number) => void,
  ) {
    this.shape = hbmShape(preset);
    this.t = preset.hbm.timing;
    this.perBank = preset.hbm.perBankRefresh === 1;
    const { channels, banks, groups } = this.shape;
    this.phase = Float64Array.from(phases, (f) => f * this.t.tREFI);
    this.bankPhase = new Float64Array(channels * banks);
    for (let c = 0; c < channels; c++) {
      for (let b = 0; b < banks; b++)
        this.bankPhase[c * banks + b] = this.phase[c]! + (b / banks) * this.t.tREFI;
    }
    this.banks = new Banks(channels, banks);
    this.groupFree = new Float64Array(channels * groups);
    this.busFree = new Float64Array(channels);
    this.nextPick = new Float64Array(channels);
    this.busy = new Uint8Array(channels);
    this.lastAct = new Float64Array(channels).fill(-1e12);
    this.faw = new Float64Array(channels * 4).fill(-1e12);
    this.fawNext = new Int32Array(channels);
    this.refreshIndex = new Float64Array(channels).fill(-1);
    this.nextBg = new Float64Array(channels).fill(Number.POSITIVE_INFINITY);
    this.q = new RequestQueues(channels);
    if (background && background.fraction > 0) {
      for (let c = 0; c < channels; c++) this.nextBg[c] = this.bgGap();
    }
  }

  private bgGap(): number {
    const bg = this.background!;
    return bg.rng.exponential(bg.bytes / (bg.fraction * this.shape.channelGBps));
  }

  /** A request arrives at channel `c` at time `now`; `addr` is the byte address within the channel. */
  submit(now: number, c: number, addr: number, bytes: number, owner: number): void {
    const { first, rows } = rowsOf(this.shape.rowBytes, addr, bytes);
    this.submitRows(now, c, first, rows, bytes, owner);
  }

  /** As submit, with the request already cut into rows (prepare.ts does that once per plan). */
  submitRows(now: number, c: number, first: number, rows: number, bytes: number, owner: number): void {
    if (this.busy[c] === 0) this.drainBackground(c, now);
    this.enqueue(c, now, first, rows, bytes, owner);
    if (this.busy[c] === 0) this.pick(c, Math.max(now, this.nextPick[c]!));
  }

  /** The engine's CHANNEL_FREE event for channel `c` at `now`. */
  onFree(now: number, c: number): void {
    this.busy[c] = 0;
    while (this.nextBg[c]! <= now) {
      const first = this.bgRow();
      this.enqueue(c, this.nextBg[c]!, first, this.bgRows(), this.background!.bytes, -1);
      this.nextBg[c] = this.nextBg[c]! + this.bgGap();
    }
    if (this.q.len[c]! > 0) this.pick(c, now);
  }

  private enqueue(
    c: number,
    arrival: number,
    first: number,
    rows: number,
    bytes: number,
    owner: number,
  ): void {
    const q = this.q;
    const i = q.append(c);
    const banks = this.shape.banks;
    q.arrival[i] = arrival;
    q.bytes[i] = bytes;
    q.owner[i] = owner;
    q.first[i] = first;
    q.rows[i] = rows;
    q.bank[i] = first % banks;
    q.row[i] = Math.floor(first / banks);
  }

  /** Background requests that arrived while the channel was idle were served then, in arrival order. */
  private drainBackground(c: number, now: number): void {
    while (this.nextBg[c]! <= now) {
      const at = this.nextBg[c]!;
      const first = this.bgRow();
      this.serve(c, Math.max(at, this.nextPick[c]!), at, first, this.bgRows(), this.background!.bytes);
      this.counts[1] += this.background!.bytes;
      this.nextBg[c] = at + this.bgGap();
    }
  }

  /** A background request starts at a random row and spans whole rows. */
  private bgRow(): number {
    return this.background!.rng.int(0, this.shape.banks * ROWS_PER_BANK);
  }

  private bgRows(): number {
    return rowsOf(this.shape.rowBytes, 0, this.background!.bytes).rows;
  }

  /** First ready (row open), else first come. */
  private pick(c: number, now: number): void {
    const q = this.q;
    const len = q.len[c]!;
    let k = 0;
    if (len > 1) {
      for (let j = 0; j < len; j++) {
        const i = q.slot(c, j);
        if (this.banks.open(c, q.bank[i]!) === q.row[i]) {
          k = j;
          break;
        }
      }
    }
    const chosen = q.slot(c, k);
    const arrival = q.arrival[chosen]!;
    const bytes = q.bytes[chosen]!;
    const owner = q.owner[chosen]!;
    const first = q.first[chosen]!;
    const rows = q.rows[chosen]!;
    q.remove(c, k);
    const end = this.serve(c, now, arrival, first, rows, bytes);
    if (owner >= 0) {
      this.counts[0] += bytes;
      this.done(owner, end);
      if (this.served) this.served(c, now, end, bytes);
    } else this.counts[1] += bytes;
    this.busy[c] = 1;
    this.queue.push(this.nextPick[c]!, this.freeEvent, this.gpu, c);
  }

  /** Serves one request (rows first .. first + rows - 1) whose turn on the bus comes at `now`; returns when its
   * last data is back. */
  private serve(c: number, now: number, arrival: number, first: number, rows: number, bytes: number): number {
    const t = this.t;
    const { banks, groups, burstBytes, tBurst } = this.shape;
    const bank = first % banks;
    const row = Math.floor(first / banks);
    const state = this.banks;
    let ready = Math.max(arrival, state.free(c, bank));
    let actAt = state.act(c, bank);
    let open = state.open(c, bank);

    // Refresh: all-bank closes every row of the channel and blocks it; per-bank closes and blocks one bank.
    if (this.perBank) {
      const bankPhase = this.bankPhase[c * banks + bank]!;
      const last = bankPhase + Math.floor((ready - bankPhase) / t.tREFI) * t.tREFI;
      if (last > actAt) open = -1;
      if (ready < last + t.tRFC) ready = last + t.tRFC;
    } else {
      const phase = this.phase[c]!;
      const k = Math.floor((ready - phase) / t.tREFI);
      if (k > this.refreshIndex[c]!) {
        state.closeAll(c);
        open = -1;
        this.refreshIndex[c] = k;
      }
      const start = phase + k * t.tREFI;
      if (ready < start + t.tRFC) ready = start + t.tRFC;
    }

    let colReady: number;
    if (open === row) {
      this.rowHits++;
      colReady = ready;
    } else {
      let act = Math.max(ready, this.lastAct[c]! + t.tRRD_S, this.faw[c * 4 + this.fawNext[c]!]! + t.tFAW);
      if (open >= 0) {
        this.rowConflicts++;
        act = Math.max(Math.max(act, actAt + t.tRAS) + t.tRP, actAt + t.tRC);
      } else {
        this.rowMisses++;
        act = Math.max(act, actAt + t.tRC);
      }
      this.recordAct(c, act);
      actAt = act;
      colReady = act + t.tRCD;
    }
    const group = bank % groups;
    const gi = c * groups + group;
    let dataStart = Math.max(colReady + t.tCL, now, this.groupFree[gi]!);
    const bursts = Math.ceil(bytes / burstBytes);
    let busTime: number;
    let end: number;
    if (rows === 1) {
      // The bus is reserved burst by burst, so a request in another bank group can interleave from the next
      // burst slot on; this one's own columns are tCCD_L apart (one bank group).
      const busEnd = Math.max(this.busFree[c]!, dataStart) + bursts * tBurst;
      end = Math.max(dataStart + bursts * Math.max(tBurst, t.tCCD_L), busEnd);
      state.set(c, bank, row, actAt, end);
      this.groupFree[gi] = dataStart + bursts * Math.max(tBurst, t.tCCD_L);
      const refreshed = this.refreshDuring(c, dataStart, end);
      this.busFree[c] = busEnd + (refreshed - end);
      this.nextPick[c] = dataStart + tBurst + (refreshed - end);
      return refreshed;
    }
    {
      // Consecutive rows sit in consecutive banks, so in different bank groups: one activate per row.
      dataStart = Math.max(dataStart, this.busFree[c]!);
      const perRow = Math.max((bursts / rows) * tBurst, t.tFAW / 4, t.tRRD_S, t.tRC / Math.min(rows, banks));
      busTime = rows * perRow;
      end = dataStart + busTime + Math.max(0, (bursts / rows) * (t.tCCD_L - tBurst));
      const lastActs = Math.min(rows - 1, 4);
      for (let i = rows - lastActs; i < rows; i++) this.recordAct(c, actAt + i * perRow);
      // Each bank keeps the state of the last row this request opened in it (computed when next read).
      state.stream(c, first, rows, actAt, perRow, dataStart);
      this.groupFree[c * groups + (((first + rows - 1) % banks) % groups)] = end;
    }
    const refreshed = this.refreshDuring(c, dataStart, end);
    this.busFree[c] = dataStart + busTime + (refreshed - end);
    this.nextPick[c] = this.busFree[c]!;
    return refreshed;
  }

  /** All-bank refreshes that fall inside [start, end) stop the channel for tRFC each: the new end. */
  private refreshDuring(c: number, start: number, end: number): number {
    if (this.perBank) return end;
    const t = this.t;
    const phase = this.phase[c]!;
    let k = Math.ceil((start - phase) / t.tREFI);
    while (phase + k * t.tREFI < end) {
      end += t.tRFC;
      k++;
    }
    return end;
  }

  private recordAct(c: number, time: number): void {
    this.lastAct[c] = Math.max(this.lastAct[c]!, time);
    const i = this.fawNext[c]!;
    this.faw[c * 4 + i] = time;
    this.fawNext[c] = (i + 1) & 3;
  }
}

/** The rows of `rowBytes` a request of `bytes` at byte address `addr` touches: the first, and how many. */
export function rowsOf(rowBytes: number, addr: number, bytes: number): { first: number; rows: number } {
  const first = Math.floor(addr / rowBytes);
  return { first, rows: Math.floor((addr + bytes - 1) / rowBytes) - first + 1 };
}
