// A growable list of numbers on one Float64Array, for the fast path's per-instruction records (puts near the end,
// send buffers, words sent). In: pushes at the tail, an advancing head. Out: the same numbers,
// with no garbage per push: a JS array that grows, is cut and grows again reallocates its store each time, which
// was most of a timing-only run's allocation.
import type { Arena } from "../code.ts";

const EMPTY = new Float64Array(0);

export class NumList {
  /** Allocated on the first push: hundreds of chips' link lists that stay empty cost no typed array each. */
  data: Float64Array;
  /** Entries before `head` are dropped (FIFO use); they are reclaimed when the list would otherwise grow. */
  head = 0;
  length = 0;

  /** `arena`: the run's memory (code.ts), to grow into instead of a new buffer each time: a list that lives until the
   * run ends (a link's words) then costs no allocation of its own, which V8 counts as external memory and answers
   * with collections (thousands of link lists on a stamped llama2-70b). */
  constructor(
    capacity = 0,
    private readonly arena?: Arena,
  ) {
    this.data = capacity > 0 ? new Float64Array(capacity) : EMPTY;
  }

  push(x: number): void {
    if (this.length === this.data.length) this.makeRoom();
    this.data[this.length++] = x;
  }

  push4(a: number, b: number, c: number, d: number): void {
    if (this.length + 4 > this.data.length) this.makeRoom();
    const x = this.data;
    const k = this.length;
    x[k] = a;
    x[k + 1] = b;
    x[k + 2] = c;
    x[k + 3] = d;
    this.length = k + 4;
  }

  /** Makes room for `count` more entries at the tail; returns where they go (then set `length` past them). */
  reserve(count: number): number {
    while (this.length + count > this.data.length) this.makeRoom();
    return this.length;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  /** The live entries [head, length) as a new array (a JS array: a small one costs no external allocation). */
  toArray(): number[] {
    const out = new Array<number>(this.length - this.head);
    for (let i = this.head; i < this.length; i++) out[i - this.head] = this.data[i]!;
    return out;
  }

  /** Moves the live entries to the front when at least half the store is dropped entries, else doubles it. */
  private makeRoom(): void {
    if (this.head > 0 && this.head * 2 >= this.length) {
      // A loop, not copyWithin: a FIFO that compacts every few pushes and keeps a handful of
      // live entries, where the native call costs more than the copy.
      const d = this.data;
      const live = this.length - this.head;
      for (let i = 0; i < live; i++) d[i] = d[this.head + i]!;
      this.length = live;
      this.head = 0;
      if (this.length + 4 <= this.data.length) return;
    }
    const size = Math.max(16, this.data.length * 2);
    let bigger: Float64Array;
    if (this.arena) {
      const { buf, at } = this.arena.take(8 * size, false);
      bigger = new Float64Array(buf, at, size);
    } else bigger = new Float64Array(size);
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }
}

/**
 * A list of 32-bit integers that grows in the run's arena (code.ts): a link end's words sent and its recvs, which
 * live until the link check (thousands of them on a stamped llama2-70b, half the memory of a NumList). The caller
 * keeps every value within 32 bits (the fast path gives way on a cycle beyond them).
 */
export class IntList {
  data: Int32Array = EMPTY_INT;
  length = 0;
  constructor(private arena: Arena) {}

  /** Moves the list to `arena`, in exactly its length (a list grown in a chip's arena that outlives the chip). */
  settle(arena: Arena): void {
    this.arena = arena;
    if (this.length === 0) return;
    const { buf, at } = arena.take(4 * ((this.length + 1) & ~1), false);
    const d = new Int32Array(buf, at, this.length);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }

  push(x: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = x;
  }

  /** Makes room for `count` more entries at the tail; returns where they go (then set `length` past them). */
  reserve(count: number): number {
    if (this.length + count > this.data.length) this.grow(this.length + count);
    return this.length;
  }

  private grow(least: number): void {
    const size = Math.max(16, 2 * this.data.length, least);
    const { buf, at } = this.arena.take(4 * ((size + 1) & ~1), false);
    const bigger = new Int32Array(buf, at, size);
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }
}

const EMPTY_INT = new Int32Array(0);

/**
 * A run-wide list of numbers (every chip's deskew cycles, their clock anchors: half a million each on a stamped
 * llama2-70b) in the run's arena (code.ts), doubling as it fills or sized once (`reserve`): as JS arrays they were
 * ~45 MB of arrays copied into larger ones in the first run of a process (V8 grows an array by half at a time, each
 * growth a new array), and in the arena, later runs reuse the memory. Writes are contiguous from 0.
 */
export class RunList {
  data: Float64Array = EMPTY;
  length = 0;
  constructor(private readonly arena: Arena) {}

  /** Room for `size` numbers in all (those in the list kept). */
  reserve(size: number): void {
    if (size <= this.data.length) return;
    const { buf, at } = this.arena.take(8 * size, false);
    const bigger = new Float64Array(buf, at, size);
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }

  push(x: number): void {
    if (this.length === this.data.length) this.reserve(Math.max(64, 2 * this.length));
    this.data[this.length++] = x;
  }
}
