// One chip of the run-length fast path (fast/run.ts): issues every instruction by the rules of issue.ts, checking and
// encoding each queue a block at a time as it reaches it, and hands each instruction to the units (chip-units.ts),
// which turn its n vectors into runs instead of events. In: the simulator (program, queues, machine) and one chip.
// Out: a FastChip with everything the final state needs, or a Bail when anything might be a hazard (the exact engine
// then decides and reports). Nothing of the simulator is changed here: run.ts installs the result only when every
// chip and link passed.
import type { ChipState } from "../chip.ts";
import { clearRows, HAS_N, OP_DESKEW, OP_NOP, OP_NOTIFY, OP_SYNC, RES_SLOT } from "../code.ts";
import { encode } from "../encode.ts";
import { encodeChecked } from "../encode-checked.ts";
import type { Simulator } from "../simulator.ts";
import type { InstructionCheck } from "../static-faults.ts";
import { Bail } from "./bail.ts";
import { BLOCK, type FastQueue, QUEUE_SAVED, type Scratch, saveQueue } from "./chip-state.ts";
import { FastUnits } from "./chip-units.ts";

/**
 * Cycles of a window of the time order (issueInTimeOrder): long enough that a queue issues several instructions per
 * turn (a turn costs two heap operations), short enough that a group's records of one window are few to reorder.
 */
const WINDOW = 64;

export class FastChip extends FastUnits {
  /** The chip's queues while it runs (pooled objects: the next chip reuses them; run.ts installs the saved states). */
  readonly queues: FastQueue[];
  private readonly check: InstructionCheck;
  /** A count the touching loops of encodeBlock keep: a use of their loads, so that the compiler keeps them. */
  touched = 0;

  /** The queues waiting for their turn, earliest next instruction first (ties: the chip's queue order). */
  private readonly heap = new QueueHeap();
  constructor(sim: Simulator, chip: ChipState, scratch: Scratch) {
    super(sim, chip, scratch);
    this.queues = chip.queues.map((q, k) => scratch.queue(k, q, sim.prepared.queues[q.serial]!));
    this.check = scratch.check;
  }

  /** Issues every instruction of the chip (syncs resolved in rounds), then checks its streams. */
  run(): void {
    const live = this.queues.slice();
    for (const fq of live) this.prepareCode(fq);
    for (;;) {
      this.issueInTimeOrder(live);
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
    this.segments.check();
    // The queue objects serve the next chip: their final states are kept as numbers for the install.
    const saved = this.scratch.savedQueues(this.sim.queues.length);
    for (const fq of this.queues) saveQueue(fq, saved, fq.q.serial * QUEUE_SAVED);
    this.countUsed();
    this.prunePuts();
    this.recent = this.puts_.toArray();
  }

  /** Whether the queue has a `notify token` still to issue (read from the program: the block holds another queue). */
  private notifiesLater(fq: FastQueue, token: number): boolean {
    const tokens = this.sim.prepared.tokens;
    if (!fq.notifies) {
      fq.notifies = [];
      for (let k = 0; k < fq.source.length; k++) if (fq.source[k]!.inst.op === "notify") fq.notifies.push(k);
    }
    for (const k of fq.notifies) {
      const inst = fq.source[k]!.inst;
      if (k >= fq.next && inst.op === "notify" && tokens.id(inst.token) === token) return true;
    }
    return false;
  }

  /**
   * Issues the unparked queues until each has ended or parked, in windows of WINDOW cycles: the queue whose next
   * instruction comes first runs until its next one is past the window's end, then the next earliest, and so on. A
   * stream group's records then arrive nearly in diagonal order (a window's few runs, each in order), which the check
   * sorts in place at little cost (segments.ts). Queues meet only through state that does not depend on the order of
   * their issues (each queue's own units, banks and links; the stream records as a set; the earliest notify per
   * token), so this order gives the same run as queue after queue.
   */
  private issueInTimeOrder(live: readonly FastQueue[]): void {
    const heap = this.heap;
    for (const fq of live) {
      if (fq.parkedToken >= 0) continue;
      const at = this.runQueue(fq, Number.NEGATIVE_INFINITY);
      if (at < Number.POSITIVE_INFINITY) {
        fq.nextAt = at;
        heap.push(fq);
      }
    }
    while (heap.size > 0) {
      const horizon = heap.peek()!.nextAt + WINDOW;
      while (heap.size > 0 && heap.peek()!.nextAt <= horizon) {
        const fq = heap.pop()!;
        const at = this.runQueue(fq, horizon);
        if (at < Number.POSITIVE_INFINITY) {
          fq.nextAt = at;
          heap.push(fq);
        }
      }
    }
  }

  /** The queue's rows: a copied queue reads its list's one encoding, any other its own block, encoded as it goes. */
  private prepareCode(fq: FastQueue): void {
    const pq = fq.pq;
    if (!pq.shared) return;
    const p = this.sim.prepared;
    fq.code = this.scratch.shared.rows(pq, this.sim.machine, p.tokens, p.maps, this.check);
    fq.blockFirst = fq.q.base;
    fq.blockEnd = fq.q.base + fq.q.count;
  }

  /** Encodes up to `size` instructions of the queue from position k into its block. */
  private encodeBlock(fq: FastQueue, k: number, size: number): void {
    const q = fq.q;
    if (fq.pq.shift !== 0) throw new Error("internal error: a copied queue is encoded once, not by blocks");
    const count = Math.min(size, q.count - k);
    const code = fq.code;
    clearRows(code, 0, count);
    const p = this.sim.prepared;
    const m = this.sim.machine;
    let fits = true;
    const check = this.check;
    const pq = fq.pq;
    const source = fq.source;
    // Each instruction is two objects (Placed, Instruction), wherever the compiler's heap left them: a cache miss
    // each. Touched first in a loop this short, the loads of different instructions are independent and the processor
    // overlaps their misses; the long body below, run cold, would wait for them one after another.
    let seen = 0;
    for (let j = 0; j < count; j++) if (source[k + j]!.cycle === undefined) seen++;
    for (let j = 0; j < count; j++) if (source[k + j]!.inst.op === "nop") seen++;
    this.touched += seen;
    for (let j = 0; j < count; j++) {
      const placed = source[k + j]!;
      if (encodeChecked(code, j, q.serial, pq.kind, pq.wired, placed, m, p.tokens)) continue;
      // Something to look at closely (or to report): the full check and encoding, as the exact engine does them.
      clearRows(code, j, j + 1);
      check.check(pq, q.base + k + j, placed);
      if (!encode(code, j, q.serial, placed.cycle, placed.inst, m, p.tokens, p.maps)) fits = false;
    }
    // The simulator finds and reports the faults (in program order) when the fast path gives up.
    if (check.faults.length > 0) throw new Bail("a fault visible before the run");
    if (!fits) throw new Bail("a number beyond 32-bit integers");
    fq.blockFirst = q.base + k;
    fq.blockEnd = q.base + k + count;
  }

  private release(fq: FastQueue, done: number): void {
    fq.parkedToken = -1;
    fq.resFrom[0] = done;
    fq.resUntil[0] = done + 1;
    fq.resBy[0] = fq.parkedId;
    fq.resOp[0] = OP_SYNC;
    fq.nextFree = done + 1;
    fq.releasedAt = done;
    if (done + 1 > this.end) this.end = done + 1;
  }

  /**
   * Issues the queue's instructions up to cycle `horizon`; returns the cycle of the next, when it is past the horizon,
   * or +Infinity when the queue has ended or parked on a sync.
   */
  private runQueue(fq: FastQueue, horizon: number): number {
    const q = fq.q;
    // A copied queue adds its shift to each explicit cycle (only a chip's own queues, shift 0, are encoded by blocks).
    const shift = fq.pq.shift;
    let code = fq.code;
    this.code = code;
    while (fq.next < q.count) {
      const id = q.base + fq.next;
      if (id >= fq.blockEnd || id < fq.blockFirst) {
        this.encodeBlock(fq, fq.next, fq.blockSize);
        if (fq.blockSize < BLOCK) fq.blockSize *= 2;
        code = fq.code;
      }
      const r = id - fq.blockFirst;
      let explicit = code.cycle[r]!;
      let at = fq.nextFree;
      if (explicit >= 0) {
        explicit += shift;
        if (explicit > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
        if (explicit <= fq.lastIssue) throw new Bail("an issue out of order");
        if (explicit <= fq.releasedAt) throw new Bail("a late issue");
        at = explicit;
      }
      if (at > horizon) return at;
      fq.releasedAt = Number.NaN;
      fq.next++;
      const op = code.op[r]!;
      const slot = RES_SLOT[op]!;
      const end = at + code.slots[r]!;
      if (fq.resUntil[0]! > at) throw new Bail("the queue is busy");
      if (slot !== 0) {
        if (fq.resUntil[slot]! > at) throw new Bail("the unit is busy");
        const from = Math.max(at, fq.covered);
        if (end > from) fq.busy += end - from;
        if (end > fq.covered) fq.covered = end;
      }
      fq.resFrom[slot] = at;
      fq.resUntil[slot] = end;
      fq.resBy[slot] = id;
      fq.resOp[slot] = op;
      fq.lastIssue = at;
      fq.nextFree = end;
      if (end > this.end) this.end = end;
      if (at > this.lastEvent) this.lastEvent = at;
      this.instructions++;
      if (HAS_N[op] === 1) this.vectors += code.n[r]!;
      switch (op) {
        case OP_NOP:
          break;
        case OP_DESKEW: {
          // Every repetition, as the exact engine's K_DESKEW events do (the last is the chip's last event).
          const period = code.b[r]!;
          const n = code.n[r]!;
          const list = this.scratch.deskews;
          for (let i = 0; i < n; i++) list.push(at + i * period);
          this.event(at + (n - 1) * period);
          break;
        }
        case OP_NOTIFY: {
          const token = code.a[r]!;
          const u = this.notified.get(token);
          if (u === undefined || at < u) this.notified.set(token, at);
          break;
        }
        case OP_SYNC:
          fq.parkedToken = code.a[r]!;
          fq.parkedAt = at;
          fq.parkedId = id;
          return Number.POSITIVE_INFINITY;
        default:
          this.start(q, id, r, op, at);
      }
    }
    return Number.POSITIVE_INFINITY;
  }
}

/** A binary min-heap of queues by (nextAt, k), compared inline (a comparator call per step cost more than the sort saved). */
class QueueHeap {
  private readonly items: FastQueue[] = [];
  size = 0;

  peek(): FastQueue | undefined {
    return this.items[0];
  }

  private static before(a: FastQueue, b: FastQueue): boolean {
    return a.nextAt < b.nextAt || (a.nextAt === b.nextAt && a.k < b.k);
  }

  push(x: FastQueue): void {
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (!QueueHeap.before(x, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = x;
  }

  pop(): FastQueue | undefined {
    const a = this.items;
    if (this.size === 0) return undefined;
    const top = a[0]!;
    const n = --this.size;
    const last = a[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      if (l + 1 < n && QueueHeap.before(a[l + 1]!, a[l]!)) c = l + 1;
      if (!QueueHeap.before(a[c]!, last)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
