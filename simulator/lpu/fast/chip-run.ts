// One chip of the run-length fast path (fast/run.ts): issues every instruction by the rules of issue.ts, checking and
// encoding each queue a block at a time as it reaches it, and hands each instruction to the units (chip-units.ts),
// which turn its n vectors into runs instead of events. In: the simulator (program, queues, machine) and one chip.
// Out: a FastChip with everything the final state needs, or a Bail when anything might be a hazard (the exact engine
// then decides and reports). Nothing of the simulator is changed here: run.ts installs the result only when every
// chip and link passed.
import type { ChipState } from "../chip.ts";
import * as code from "../code.ts";
import { encode } from "../encode.ts";
import { encodeChecked } from "../encode-checked.ts";
import type { Simulator } from "../simulator.ts";
import type { InstructionCheck } from "../static-faults.ts";
import { Bail } from "./bail.ts";
import type { FastQueue, Scratch } from "./chip-state.ts";
import * as state from "./chip-state.ts";
import { FastUnits } from "./chip-units.ts";
import * as rowsOf from "./rows.ts";

// What the issue loop reads per instruction, as this module's own constants: Node loads every source file as a
// module (tsx), and V8's optimizing compiler reads an imported binding through its module's import cell at each use
// (a chain of dependent loads), where a constant of the module is one context slot (docs/performance.md, nineteenth
// round).
const { clearRows, HAS_N, OP_CONVERT, OP_DESKEW, OP_NOP, OP_NOTIFY, OP_READ, OP_SYNC, RES_SLOT, TYPE_BYTES } =
  code;
const { BLOCK, FIRST_BLOCK, finishQueue, RES_BY, RES_FIELDS, RES_FROM, RES_OP, RES_UNTIL } = state;
const {
  opOf,
  packRows,
  R_A,
  R_B,
  R_CYCLE,
  R_GROUPS,
  R_LATENCY,
  R_N,
  R_OPS,
  R_SLOTS,
  ROW,
  s0Of,
  s1Of,
  t0Of,
  t1Of,
} = rowsOf;

export class FastChip extends FastUnits {
  /** The chip's queues while it runs (pooled objects: the next chip reuses them; their states are written into the
   * chip's QueueStates when it ends). */
  readonly queues: FastQueue[];
  private readonly check: InstructionCheck;
  /** Milliseconds of the stream check, and its groups sorted (run.ts lastPhases). */
  streamMs = 0;
  sorts = 0;
  /** Its place in the order the chips ran (run.ts): where its clock anchors go in the link check (links.ts). */
  runIndex = 0;

  /** The encoded block holds ids [blockFirst, blockEnd) of the running queue. */
  private blockFirst = 0;
  private blockEnd = 0;
  constructor(sim: Simulator, chip: ChipState, scratch: Scratch) {
    super(sim, chip, scratch);
    this.queues = chip.queues.map((q, k) => scratch.queue(k, q, sim.prepared.queues[q.serial]!));
    this.check = scratch.check;
  }

  /** Issues every instruction of the chip (syncs resolved in rounds), then checks its streams. */
  run(): void {
    const live = this.queues.slice();
    this.decideAll(this.queues);
    for (;;) {
      for (const fq of live) if (fq.parkedToken < 0) this.runQueue(fq);
      let keep = 0;
      for (const fq of live) if (fq.parkedToken >= 0 || fq.next < fq.q.count) live[keep++] = fq;
      live.length = keep;
      if (keep === 0) break;
      // Every live queue is parked. A token's earliest notify known now is final unless a parked queue could still
      // notify it earlier: such a queue issues again only after its own sync, so no sooner than parkedAt + 1.
      let released = false;
      for (const fq of live) {
        const token = fq.parkedToken;
        const u = this.notified.get(token);
        if (u === undefined) continue;
        let final = true;
        for (const other of live)
          if (other.parkedAt + 1 < u && this.notifiesLater(other, token)) {
            final = false;
            break;
          }
        if (final) {
          this.release(fq, Math.max(fq.parkedAt, u + 1));
          released = true;
        }
      }
      if (!released) throw new Bail("a sync that may never be notified");
    }
    this.settleCopies(this.queues);
    const t = performance.now();
    this.segments.check();
    this.streamMs = performance.now() - t;
    this.sorts = this.segments.sorts;
    // The queue objects serve the next chip: their final states go to the simulator's queues now (run.ts puts them
    // back as constructed if a later chip or the link check gives way).
    for (const fq of this.queues) finishQueue(fq);
    for (const p of this.planes) p.keepRows(this.scratch.planeRows);
    // What outlives the chip moves out of its arena, which the next chip reuses.
    this.settleLogs();
    for (const fl of this.links) {
      fl.leaves.settle(this.scratch.arena);
      fl.recvs.settle(this.scratch.arena);
    }
    this.prunePuts();
    this.recent = this.puts_.toArray();
  }

  /** Whether the queue has a `notify token` still to issue (read from the program: the block holds another queue). */
  private notifiesLater(fq: FastQueue, token: number): boolean {
    const tokens = this.sim.prepared.tokens;
    const src = fq.source;
    if (!fq.notifies) {
      fq.notifies = [];
      for (let k = 0; k < src.count; k++) if (src.op[k] === OP_NOTIFY) fq.notifies.push(k);
    }
    for (const k of fq.notifies)
      if (k >= fq.next && tokens.id(src.strings[src.a[k]!]!) === token) return true;
    return false;
  }

  /** Encodes up to `size` instructions of the queue from position k into the block. */
  private encodeBlock(fq: FastQueue, k: number, size: number): void {
    const q = fq.q;
    if (fq.pq.shift !== 0) throw new Error("internal error: a copied queue is encoded once, not by blocks");
    const count = Math.min(size, q.count - k);
    const code = this.scratch.code;
    clearRows(code, 0, count);
    const p = this.sim.prepared;
    const m = this.sim.machine;
    let fits = true;
    const check = this.check;
    const pq = fq.pq;
    const source = fq.source;
    for (let j = 0; j < count; j++) {
      if (encodeChecked(code, j, q.serial, pq.kind, pq.wired, source, k + j, m, p.tokens)) continue;
      // Something to look at closely (or to report): the full check and encoding, as the exact engine does them.
      clearRows(code, j, j + 1);
      check.check(pq, q.base + k + j, source, k + j);
      if (!encode(code, j, q.serial, source, k + j, 0, m, p.tokens, p.maps)) fits = false;
    }
    // The simulator finds and reports the faults (in program order) when the fast path gives up.
    if (check.faults.length > 0) throw new Bail("a fault visible before the run");
    if (!fits) throw new Bail("a number beyond 32-bit integers");
    if (!packRows(code, count, this.scratch.rows, 0)) throw new Bail("a stream group beyond a row's 10 bits");
    this.blockFirst = q.base + k;
    this.blockEnd = q.base + k + count;
  }

  private release(fq: FastQueue, done: number): void {
    fq.parkedToken = -1;
    const res = fq.res;
    res[RES_FROM] = done;
    res[RES_UNTIL] = done + 1;
    res[RES_BY] = fq.parkedId;
    res[RES_OP] = OP_SYNC;
    fq.nextFree = done + 1;
    fq.releasedAt = done;
    if (done + 1 > this.end) this.end = done + 1;
  }

  /** Issues the queue's instructions until it ends or parks on a sync. */
  private runQueue(fq: FastQueue): void {
    this.enterQueue(fq);
    this.issueQueue(fq);
    this.leaveQueue(fq);
  }

  private issueQueue(fq: FastQueue): void {
    const q = fq.q;
    const pq = fq.pq;
    let size = FIRST_BLOCK;
    // A queue that copies or is copied reads its list's one encoding (shared-code.ts) and adds its shift to each
    // explicit cycle; any other queue is encoded a block at a time (only a chip's own queues, whose shift is 0).
    const shift = pq.shift;
    if (pq.shared) {
      const p = this.sim.prepared;
      this.rows = this.scratch.shared.rows(pq, this.sim.machine, p.tokens, p.maps, this.check);
      this.blockFirst = q.base;
      this.blockEnd = q.base + q.count;
    } else {
      this.rows = this.scratch.rows;
      this.blockEnd = 0;
    }
    const rows = this.rows;
    // A read's bank claim (access() with its common case here, so that the claim inlines into this loop): the
    // queue's slice, its size and banks.
    const claims = this.banksClaimed;
    const words = this.wordsPerSlice;
    const bankShift = this.bankShift;
    const lastBank = this.banks - 1;
    const bankBase = q.index * this.banks * 2;
    // The opcode tables (code.ts) as locals: read once per turn, not from the module's context per instruction.
    const resSlot = RES_SLOT;
    const hasN = HAS_N;
    const typeBytes = TYPE_BYTES;
    // A sync's release is checked by the turn's first instruction only (late-issue): then it is gone (NaN).
    let releasedAt = fq.releasedAt;
    if (fq.next < q.count) fq.releasedAt = Number.NaN;
    // The queue's issue state in locals for the turn (no callee reads it), written back when the turn ends.
    const first = fq.next;
    const count = q.count;
    const base = q.base;
    let next = first;
    let nextFree = fq.nextFree;
    let lastIssue = fq.lastIssue;
    let covered = fq.covered;
    let busy = fq.busy;
    const res = fq.res;
    // The chip's latest end and event and its vectors, gathered here and merged when the turn ends (maxima and a
    // sum: the units called meanwhile may raise the chip's own).
    let chipEnd = this.end;
    let lastEvent = this.lastEvent;
    let vectors = 0;
    let blockFirst = this.blockFirst;
    let blockEnd = this.blockEnd;
    while (next < count) {
      const id = base + next;
      if (id >= blockEnd || id < blockFirst) {
        this.encodeBlock(fq, next, size);
        if (size < BLOCK) size *= 2;
        blockFirst = this.blockFirst;
        blockEnd = this.blockEnd;
      }
      // The row's words (rows.ts): one or two cache lines for all of its fields.
      const r = (id - blockFirst) * ROW;
      let explicit = rows[r + R_CYCLE]!;
      let at = nextFree;
      if (explicit >= 0) {
        explicit += shift;
        if (explicit > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
        if (explicit <= lastIssue) throw new Bail("an issue out of order");
        if (explicit <= releasedAt) throw new Bail("a late issue");
        at = explicit;
      }
      releasedAt = Number.NaN;
      next++;
      const ops = rows[r + R_OPS]!;
      const op = opOf(ops);
      const slot = resSlot[op]!;
      const end = at + rows[r + R_SLOTS]!;
      if (res[RES_UNTIL]! > at) throw new Bail("the queue is busy");
      const rs = slot * RES_FIELDS;
      if (slot !== 0) {
        if (res[rs + RES_UNTIL]! > at) throw new Bail("the unit is busy");
        const from = Math.max(at, covered);
        if (end > from) busy += end - from;
        if (end > covered) covered = end;
      }
      res[rs + RES_FROM] = at;
      res[rs + RES_UNTIL] = end;
      res[rs + RES_BY] = id;
      res[rs + RES_OP] = op;
      lastIssue = at;
      nextFree = end;
      if (end > chipEnd) chipEnd = end;
      if (at > lastEvent) lastEvent = at;
      if (hasN[op] === 1) vectors += rows[r + R_N]!;
      switch (op) {
        case OP_READ: {
          // Half the instructions of a compiled model: start()'s case, here to spare a call per read.
          const n = rows[r + R_N]!;
          const put = at + rows[r + R_LATENCY]!;
          const addr = rows[r + R_A]!;
          const stride = rows[r + R_B]!;
          const last = addr + (n - 1) * stride;
          if (!(addr >= 0 && addr < words && last >= 0 && last < words))
            throw new Bail("an address out of range");
          const bank = bankShift >= 0 ? Math.min(lastBank, addr >> bankShift) : -1;
          if (bank >= 0 && bank === Math.min(lastBank, last >> bankShift))
            claims.claim(bankBase + 2 * bank, 0, at, at + n, at);
          else this.accessBanks(q, 0, addr, stride, n, at);
          this.puts(s0Of(rows[r + R_GROUPS]!), 1, q.position, put, n, id);
          if (put + n - 1 > lastEvent) lastEvent = put + n - 1;
          break;
        }
        case OP_CONVERT: {
          // A sixth of them (fp8 weights and activations to fp16 and back): start()'s case, as for reads.
          const n = rows[r + R_N]!;
          const put = at + rows[r + R_LATENCY]!;
          const groups = rows[r + R_GROUPS]!;
          this.takes(s1Of(groups), typeBytes[t0Of(ops)]!, q.position, at, n);
          this.puts(s0Of(groups), typeBytes[t1Of(ops)]!, q.position, put, n, id);
          if (put + n - 1 > lastEvent) lastEvent = put + n - 1;
          break;
        }
        default:
          // The units' opcodes (all numbered after the control ones, code.ts) go to start() with one compare.
          if (op > OP_DESKEW) {
            this.start(q, id, r, op, at);
            break;
          }
          switch (op) {
            case OP_NOP:
              break;
            case OP_DESKEW: {
              // Every repetition, as the exact engine's K_DESKEW events do (the last is the chip's last event).
              const period = rows[r + R_B]!;
              const n = rows[r + R_N]!;
              const list = this.scratch.deskews;
              for (let i = 0; i < n; i++) list.push(at + i * period);
              this.event(at + (n - 1) * period);
              break;
            }
            case OP_NOTIFY: {
              const token = rows[r + R_A]!;
              const u = this.notified.get(token);
              if (u === undefined || at < u) this.notified.set(token, at);
              break;
            }
            case OP_SYNC:
              fq.parkedToken = rows[r + R_A]!;
              fq.parkedAt = at;
              fq.parkedId = id;
              break;
          }
      }
      if (op === OP_SYNC) break;
    }
    fq.next = next;
    fq.nextFree = nextFree;
    fq.lastIssue = lastIssue;
    fq.covered = covered;
    fq.busy = busy;
    this.instructions += next - first;
    this.vectors += vectors;
    if (chipEnd > this.end) this.end = chipEnd;
    if (lastEvent > this.lastEvent) this.lastEvent = lastEvent;
  }
}
