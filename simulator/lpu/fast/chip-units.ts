// The units of one chip in the run-length fast path (fast/chip-run.ts issues, this file executes): what each
// instruction does over its n vectors, as runs instead of events: stream segments (segments.ts), one bank-port
// interval per bank, MXM rows, link words. In: an issued instruction's row of the encoded block. Out: the chip's
// results (writes, planes, links, the puts near the end), or a Bail when anything might be a hazard.
import type { ChipState, QueueState } from "../chip.ts";
import * as code from "../code.ts";
import type { Simulator } from "../simulator.ts";
import * as sram from "../sram.ts";
import * as units from "../units.ts";
import { Bail } from "./bail.ts";
import type { BankClaims } from "./bank-claims.ts";
import { FastLink, type Scratch } from "./chip-state.ts";
import { FastStreams } from "./chip-streams.ts";
import { FastPlane } from "./planes.ts";
import * as rowsOf from "./rows.ts";

// What start() reads per instruction, as this module's own constants: Node loads every source file as a module
// (tsx), and V8's optimizing compiler reads an imported binding through its module's import cell at each use (a chain
// of dependent loads), where a constant of the module is one context slot (docs/performance.md, nineteenth round).
const {
  OP_ABC,
  OP_ACC,
  OP_GATHER,
  OP_IW,
  OP_LW,
  OP_RECV,
  OP_SCATTER,
  OP_SEND,
  OP_SXM,
  OP_VACCUM,
  OP_VBINARY,
  OP_VUNARY,
  OP_WRITE,
  SXM_TRANSPOSE,
  TYPE_BYTES,
} = code;
const { markBits } = sram;
const { accTypeCode } = units;
const { fnOf, R_A, R_B, R_GROUPS, R_LATENCY, R_N, R_OPS, R_SLOTS, s0Of, s1Of, s2Of, t0Of } = rowsOf;

/** A chip's unit state and the units' rules as runs; FastChip (chip-run.ts) adds the queues and the issue loop. */
export class FastUnits extends FastStreams {
  end = 0;
  lastEvent = -1;
  /** The chip's deskew cycles: [deskewFrom, deskewTo) of the run's list (Scratch.deskews), sorted and unique once
   * the chip has run (fast/run.ts). */
  deskewFrom: number;
  deskewTo = 0;
  readonly notified = new Map<number, number>();
  /** The chip's used words (Sram's map at the start, then every write of the run marked), a scratch map every chip of
   * the run reuses. */
  private readonly used: Int32Array;
  private readonly usedStride: number;
  /** The chip's SRAM shape: words per slice, banks per slice. */
  protected readonly wordsPerSlice: number;
  protected readonly banks: number;
  /** log2 of the words per bank (Sram.bankShift; -1: not a power of two, Sram.bankOf divides). */
  protected readonly bankShift: number;
  /** The chip's words used, to install: the Sram's count at the start (its map's bits), plus each word a write of
   * the run marks for the first time (markBits counts them), so that no chip counts its map's bits again at its end
   * (a map of every slice, ~90 KB, on every chip with data). */
  usedWords: number;
  readonly planes: FastPlane[];
  readonly links: FastLink[];
  protected readonly banksClaimed: BankClaims;
  /** The encoded rows of the running queue (rows.ts): the scratch block, or a copied queue's shared encoding
   * (chip-run.ts); an instruction's row starts at word r. */
  protected rows: Int32Array;
  instructions = 0;
  vectors = 0;

  constructor(sim: Simulator, chip: ChipState, scratch: Scratch) {
    super(sim, chip, scratch);
    this.planes = chip.planes.map(() => new FastPlane());
    scratch.reset();
    this.links = chip.links.map(() => new FastLink(scratch.chipArena));
    this.rows = scratch.rows;
    this.banksClaimed = scratch.bankClaims;
    this.wordsPerSlice = chip.sram.wordsPerSlice;
    this.banks = chip.sram.banks;
    this.bankShift = chip.sram.bankShift;
    this.usedStride = chip.sram.usedStride;
    this.deskewFrom = scratch.deskews.length;
    this.used = scratch.usedMap(chip.sram.slices * this.usedStride);
    this.usedWords = chip.sram.usedWords;
    this.used.fill(0, scratch.usedFrom, scratch.usedTo);
    scratch.usedFrom = scratch.usedTo = 0;
    if (chip.sram.usedInto(this.used)) scratch.usedTo = this.used.length;
  }

  /** Words addr + i*stride (i < n) of the slice written. */
  protected wrote(slice: number, addr: number, n: number, stride: number): void {
    const base = slice * this.usedStride;
    this.usedWords += markBits(this.used, base, addr, n, stride);
    const scratch = this.scratch;
    if (scratch.usedFrom === scratch.usedTo) {
      scratch.usedFrom = base;
      scratch.usedTo = base + this.usedStride;
    } else {
      if (base < scratch.usedFrom) scratch.usedFrom = base;
      if (base + this.usedStride > scratch.usedTo) scratch.usedTo = base + this.usedStride;
    }
  }

  protected event(cycle: number): void {
    if (cycle > this.lastEvent) this.lastEvent = cycle;
  }

  /** What the instruction does over its vectors (units-*.ts), as runs. Reads and converts, the most frequent, are
   * issued in the issue loop itself (chip-run.ts). */
  protected start(q: QueueState, id: number, r: number, op: number, t: number): void {
    const rows = this.rows;
    const n = rows[r + R_N]!;
    const pos = q.position;
    const L = rows[r + R_LATENCY]!;
    // The cases in the order of their frequency in compiled models (each case label is a compare).
    switch (op) {
      case OP_WRITE:
        this.takes(s0Of(rows[r + R_GROUPS]!), 1, pos, t, n);
        this.access(q, 1, rows[r + R_A]!, rows[r + R_B]!, n, t);
        this.wrote(q.index, rows[r + R_A]!, n, rows[r + R_B]!);
        this.event(t + n - 1);
        return;
      case OP_IW: {
        const p = this.planes[q.index]!;
        p.weightsType = p.stagingType;
        p.installedBy = id;
        p.usableFrom = t + this.sim.machine.mxm.installLatency;
        return;
      }
      case OP_ABC:
        this.abc(q, r, t);
        return;
      case OP_LW:
        this.lw(q, r, t);
        return;
      case OP_VBINARY: {
        const bytes = TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!;
        this.takes(s1Of(rows[r + R_GROUPS]!), bytes, pos, t, n);
        if (s2Of(rows[r + R_GROUPS]!) >= 0) this.takes(s2Of(rows[r + R_GROUPS]!), bytes, pos, t, n);
        this.puts(s0Of(rows[r + R_GROUPS]!), bytes, pos, t + L, n, id);
        this.event(t + L + n - 1);
        return;
      }
      case OP_SEND:
        this.send(q, r, t);
        return;
      case OP_RECV: {
        const words = TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!;
        if (t + n > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
        this.puts(s0Of(rows[r + R_GROUPS]!), words, pos, t, n, id);
        const link = this.links[q.index]!;
        const at = link.recvs.reserve(3);
        const d = link.recvs.data;
        d[at] = t;
        d[at + 1] = n;
        d[at + 2] = words;
        link.recvs.length = at + 3;
        this.event(t + n - 1);
        return;
      }
      case OP_ACC:
        this.acc(q, id, r, t);
        return;
      case OP_VUNARY: {
        const bytes = TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!;
        this.takes(s1Of(rows[r + R_GROUPS]!), bytes, pos, t, n);
        this.puts(s0Of(rows[r + R_GROUPS]!), bytes, pos, t + L, n, id);
        this.event(t + L + n - 1);
        return;
      }
      case OP_GATHER:
        // Timing only: the map's index reads as 0 (units-mem.ts mapIndex), so every vector accesses the base.
        this.takes(s1Of(rows[r + R_GROUPS]!), 4, pos, t, n);
        this.access(q, 0, rows[r + R_A]!, 0, n, t);
        this.puts(s0Of(rows[r + R_GROUPS]!), 1, pos, t + L, n, id);
        this.event(t + L + n - 1);
        return;
      case OP_SCATTER:
        this.takes(s0Of(rows[r + R_GROUPS]!), 1, pos, t, n);
        this.takes(s1Of(rows[r + R_GROUPS]!), 4, pos, t, n);
        this.access(q, 1, rows[r + R_A]!, 0, n, t);
        this.wrote(q.index, rows[r + R_A]!, 1, 0);
        this.event(t + n - 1);
        return;
      case OP_VACCUM:
        this.takes(s1Of(rows[r + R_GROUPS]!), TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!, pos, t, n);
        this.puts(s0Of(rows[r + R_GROUPS]!), 4, pos, t + n - 1 + L, 1, id);
        this.event(t + n - 1 + L);
        return;
      case OP_SXM: {
        const bytes = TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!;
        const lag = fnOf(rows[r + R_OPS]!) === SXM_TRANSPOSE ? 15 + L : L;
        this.takes(s1Of(rows[r + R_GROUPS]!), bytes, pos, t, n);
        this.puts(s0Of(rows[r + R_GROUPS]!), bytes, pos, t + lag, n, id);
        this.event(t + lag + n - 1);
        return;
      }
      default:
        throw new Error(`internal error: opcode ${op} in the fast path`);
    }
  }

  /**
   * Vectors i < n access word addr + i*stride in cycle t + i through `port` (0 read, 1 write): every address in
   * range, and no cycle shared with the other port on a bank. Each bank's cycles form one interval (addresses are
   * monotone in i), checked against the other port's intervals (bank-claims.ts). The issue loop (chip-run.ts) inlines
   * this for a read's common case: keep the two in step.
   */
  protected access(q: QueueState, port: number, addr: number, stride: number, n: number, t: number): void {
    const last = addr + (n - 1) * stride;
    // addr and stride come from 32-bit columns, so both ends are whole numbers (Sram.inRange's other test).
    const words = this.wordsPerSlice;
    if (!(addr >= 0 && addr < words && last >= 0 && last < words)) throw new Bail("an address out of range");
    const shift = this.bankShift;
    if (shift >= 0) {
      // Sram.bankOf with its shift: both addresses are in range, so neither bank is past the last.
      const first = Math.min(this.banks - 1, addr >> shift);
      if (first === Math.min(this.banks - 1, last >> shift)) {
        this.banksClaimed.claim((q.index * this.banks + first) * 2, port, t, t + n, t);
        return;
      }
    }
    this.accessBanks(q, port, addr, stride, n, t);
  }

  /** access() of vectors that span several banks (or of a slice whose banks are not a power of two in size). */
  protected accessBanks(
    q: QueueState,
    port: number,
    addr: number,
    stride: number,
    n: number,
    t: number,
  ): void {
    const last = addr + (n - 1) * stride;
    const sram = this.chip.sram;
    const base = q.index * this.banks;
    const first = sram.bankOf(addr);
    if (first === sram.bankOf(last)) {
      this.banksClaimed.claim((base + first) * 2, port, t, t + n, t);
      return;
    }
    // Bank b holds addresses [b * wpb, (b + 1) * wpb) (the last bank up to the slice's end).
    const wpb = sram.wordsPerBank;
    let i = 0;
    while (i < n) {
      const a = addr + i * stride;
      const bank = sram.bankOf(a);
      const edge =
        stride > 0 ? (bank === sram.banks - 1 ? sram.wordsPerSlice : (bank + 1) * wpb) : bank * wpb - 1;
      const j = Math.min(n, i + Math.ceil((edge - a) / stride));
      this.banksClaimed.claim((base + bank) * 2, port, t + i, t + j, t);
      i = j;
    }
  }

  private lw(q: QueueState, r: number, t: number): void {
    const rows = this.rows;
    const p = this.planes[q.index]!;
    const plane = this.chip.planes[q.index]!;
    const row0 = rows[r + R_A]!;
    const n = rows[r + R_N]!;
    if (row0 < 0 || row0 + n > plane.rows || !Number.isInteger(row0))
      throw new Bail("weight rows out of range");
    p.stagingType = t0Of(rows[r + R_OPS]!);
    const bytes = TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!;
    const width = rows[r + R_B]!;
    // Group j is taken in the cycles i with i*width + j < n: with n = k*width + rest, groups j < rest take k + 1
    // vectors and the others k (one call per class: their segments differ only in the group).
    const k = Math.floor(n / width);
    const rest = n - k * width;
    const src = s1Of(rows[r + R_GROUPS]!);
    if (rest > 0) this.takes(src, rest * bytes, q.position, t, k + 1);
    if (k > 0) this.takes(src + rest * bytes, (width - rest) * bytes, q.position, t, k);
    this.event(t + rows[r + R_SLOTS]! - 1);
  }

  private abc(q: QueueState, r: number, t: number): void {
    const rows = this.rows;
    const p = this.planes[q.index]!;
    const plane = this.chip.planes[q.index]!;
    const type = t0Of(rows[r + R_OPS]!);
    if (p.installedBy < 0 || p.weightsType !== type) throw new Bail("abc without matching weights");
    const row0 = rows[r + R_A]!;
    const n = rows[r + R_N]!;
    if (row0 < 0 || row0 + n > plane.accRows || !Number.isInteger(row0))
      throw new Bail("accumulator rows out of range");
    const C = rows[r + R_B]!;
    const L = rows[r + R_LATENCY]!;
    const bytes = TYPE_BYTES[type]!;
    if (C === 1) this.takes(s1Of(rows[r + R_GROUPS]!), bytes, q.position, t, n);
    else for (let i = 0; i < n; i++) this.takes(s1Of(rows[r + R_GROUPS]!), bytes, q.position, t + i * C, 1);
    if (t + (n - 1) * C > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
    if (!p.lastTake) p.carveRows(plane.accRows, this.scratch.chipArena);
    const lastTake = p.lastTake!;
    const ready = p.ready!;
    const drained = p.drained!;
    // The rows' accumulator type in the same loop, not by fill(): most abcs write one row, and a builtin call each
    // cost more than the loop.
    const rowType = p.rowType!;
    const acc = accTypeCode(type);
    for (let i = 0; i < n; i++) {
      if (drained[row0 + i]! >= t + i * C) throw new Bail("an abc while an acc drains its row");
      lastTake[row0 + i] = t + i * C;
      ready[row0 + i] = t + i * C + L;
      rowType[row0 + i] = acc;
    }
    if (row0 < p.lowRow) p.lowRow = row0;
    if (row0 + n > p.highRow) p.highRow = row0 + n;
    this.event(t + (n - 1) * C + L);
  }

  private acc(q: QueueState, id: number, r: number, t: number): void {
    const rows = this.rows;
    const p = this.planes[q.index]!;
    const plane = this.chip.planes[q.index]!;
    const row0 = rows[r + R_A]!;
    const n = rows[r + R_N]!;
    if (row0 < 0 || row0 + n > plane.accRows || !Number.isInteger(row0))
      throw new Bail("accumulator rows out of range");
    const last = p.lastTake;
    const ready = p.ready;
    const drained = p.drained;
    if (!last || !p.rowType || !ready || !drained) throw new Bail("acc of rows no abc wrote");
    if (t + n > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
    const type = t0Of(rows[r + R_OPS]!);
    for (let i = 0; i < n; i++) {
      const row = row0 + i;
      const c = t + i;
      const take = last[row]!;
      // A take at or after c would not have happened yet when the exact engine drains: left to it.
      if (!(take < c) || ready[row]! > c || p.rowType[row] !== type) throw new Bail("acc not ready");
      if (c > drained[row]!) drained[row] = c;
    }
    this.puts(s0Of(rows[r + R_GROUPS]!), 4, q.position, t, n, id);
    this.event(t + n - 1);
  }

  /** send (units-c2c.ts): takes vector i at t + i and queues its words; each leaves when serialised. */
  private send(q: QueueState, r: number, t: number): void {
    const sim = this.sim;
    const rows = this.rows;
    const n = rows[r + R_N]!;
    const bytes = TYPE_BYTES[t0Of(rows[r + R_OPS]!)]!;
    this.takes(s1Of(rows[r + R_GROUPS]!), bytes, q.position, t, n);
    const link = this.links[q.index]!;
    const { num, den } = sim.wordTime;
    const capacity = sim.machine.c2c.bufferWords;
    const buf = link.buffer;
    let leaves = 0;
    for (let i = 0; i < n; i++) {
      const cycle = t + i;
      for (let b = 0; b < bytes; b++) {
        while (buf.head < buf.length && buf.data[buf.head]! <= cycle) buf.head++;
        if (buf.length - buf.head >= capacity) throw new Bail("a full send buffer");
        const startAt = Math.max(cycle * den, link.lastFinish);
        const finish = startAt + num;
        link.lastFinish = finish;
        leaves = Math.ceil(finish / den);
        buf.push(leaves);
        link.leaves.push(leaves);
      }
    }
    // Leave cycles never decrease: the last is the largest, and must fit the link's 32-bit list (FastLink.leaves).
    if (leaves > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
    this.event(Math.max(t + n - 1, leaves));
  }
}
