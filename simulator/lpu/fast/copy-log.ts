// The stream traffic of a stamped family's reference chip (fast/chip-streams.ts): the first chip of a family (an
// original and its copies, ChipProgram.copyOf) to run logs each shared queue's stream operations; every later chip
// of the family compares its own operations with them as its instructions produce them. In: operations (kind,
// groups, first diagonal, vectors). Out: per queue, whether its operations were exactly the logged ones moved by one
// number of cycles, and, at the chip's end, which stream groups need their records stored and swept.
//
// Why a match may skip the sweep: a group's verdict (segments.ts) depends only on its records' keys and the order
// of their diagonals, so the same records all moved by the same number of cycles get the same verdict, which the
// reference's sweep gave (it passed, or the fast path gave up). Every instruction of the copy is still issued and
// executed on the copy's own state, and every stream operation it makes is computed and compared; a group whose
// records may differ in any way (a queue of the copy's own, a queue that diverged, a list the reference ran that the
// copy did not) is stored whole and swept as any other chip's.
import type { Arena } from "../code.ts";

/** The first number of a logged operation (kind 0 put, 1 take; `count` groups from g0, both below 2^15). */
export function opWord(kind: number, g0: number, count: number): number {
  return kind | (count << 1) | (g0 << 16);
}

const NO_OPS = new Int32Array(0);

/**
 * One shared list's operations as the reference chip's queue made them: each one's first diagonal, and apart its
 * kind, groups and vectors. A copy compares only the diagonals: its queue reads the same encoded rows (the same
 * list, wiring and slice position: ChipStreams.decide), and every operation's kind, groups and vectors are functions
 * of its row alone (chip-units.ts), so the same instructions in the same order make the same ones; only their cycles
 * can differ. A quarter of the memory to read per operation, where the logs of a run do not stay in cache.
 */
export class ListLog {
  /** Operations logged. */
  length = 0;
  /** Set when a second queue of the reference runs the same list: never compared. */
  bad = false;
  /** The chip (run order) that compares against it, and the chip whose queue matched it whole. */
  claimedBy = -1;
  matchedBy = -1;
  /** Per operation its first diagonal; and two numbers, opWord and vectors. */
  d0s: Int32Array = NO_OPS;
  ops: Int32Array = NO_OPS;
  constructor(
    /** The reference queue's shift, slice position and wiring (which of the list's encodings it read). */
    readonly shift: number,
    readonly pos: number,
    readonly wired: boolean,
    /** The memory the log grows into while its reference chip runs (the chip's; undefined: never written). */
    private arena: Arena | undefined,
  ) {}

  /** Moves the log, complete when its reference chip ends, to `arena` (the run's), in its length (rounded up to even). */
  settle(arena: Arena): void {
    this.arena = arena;
    const k = this.length;
    if (k > 0) this.moveTo(arena, (k + 1) & ~1);
  }

  push(word: number, d0: number, n: number): void {
    const k = this.length;
    if (k === this.d0s.length) this.moveTo(this.arena!, 2 * k + 256);
    this.d0s[k] = d0;
    this.ops[2 * k] = word;
    this.ops[2 * k + 1] = n;
    this.length = k + 1;
  }

  /** Copies the entries into `size` entries of `arena` (the d0s, then the ops: 12 bytes an entry) and reads them there. */
  private moveTo(arena: Arena, size: number): void {
    const k = this.length;
    const { buf, at } = arena.take(12 * size, false);
    const d0s = new Int32Array(buf, at, size);
    const ops = new Int32Array(buf, at + 4 * size, 2 * size);
    d0s.set(this.d0s.subarray(0, k));
    ops.set(this.ops.subarray(0, 2 * k));
    this.d0s = d0s;
    this.ops = ops;
  }

  /** Sets `mark[g]` for every group the logged operations touch (found once, when the log is complete). */
  markGroups(mark: Uint8Array): void {
    if (!this.touched) {
      const touched = new Uint8Array(mark.length);
      const d = this.ops;
      for (let k = 0; k < 2 * this.length; k += 2) {
        const w = d[k]!;
        const g0 = w >>> 16;
        // A loop, not fill(): most operations touch one to four groups, and a builtin call each cost more.
        for (let g = g0, end = g0 + ((w >>> 1) & 0x7fff); g < end; g++) touched[g] = 1;
      }
      const list: number[] = [];
      for (let g = 0; g < touched.length; g++) if (touched[g] === 1) list.push(g);
      this.touched = list;
    }
    for (const g of this.touched) mark[g] = 1;
  }

  private touched: number[] | undefined;
}

/** A family's logs, one per list its reference chip ran in a shared queue. */
export class FamilyLogs {
  /** The chip (run order) that logs: the first of the family to run. */
  reference = -1;
  /** By shared list (PreparedQueue.list), sized for every shared list (shared-code.ts SharedCode.byList: why). */
  readonly byList: (ListLog | undefined)[];
  readonly logs: ListLog[] = [];
  /** Groups the reference's other queues (not logged) touched: never skipped on a copy. */
  readonly ownTouched: Uint8Array;
  private touched: Uint8Array | undefined;
  constructor(groups: number, lists: number) {
    this.ownTouched = new Uint8Array(groups);
    this.byList = new Array<ListLog | undefined>(lists).fill(undefined);
  }

  /** The groups any of the logs touch (a mark per group), found on the first call: the logs are complete then (their
   * reference ran). */
  touchedByLogs(): Uint8Array {
    if (!this.touched) {
      this.touched = new Uint8Array(this.ownTouched.length);
      for (const log of this.logs) log.markGroups(this.touched);
    }
    return this.touched;
  }
}
