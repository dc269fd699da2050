// Stream registers of one chip, modelled by diagonals instead of shifting every register every cycle.
// A word put on an eastward stream at (position p, cycle t) is at (p + k, t + k): it lives on the diagonal
// d = t - p (westward: d = t + p). Events are processed in cycle order, so when a unit takes at (q, c) every put
// on diagonal d upstream of q (cycle <= c) has happened and none downstream has: the last put on d is the word at
// (q, c). Only the last put per diagonal is kept, in a ring indexed by d (ring > positions, so a slot whose
// diagonal differs is a word that has left the chip). Cost: O(1) per put or take, nothing per idle cycle, and no
// allocation: a stream is named by its group index g = dir * streamsPerDirection + id, a word by its slot, and
// values (when simulated) live in one buffer per slot, copied in by put.

export interface StreamWord {
  /** The bytes (one per lane), or null when values are not simulated. */
  readonly value: Uint8Array | null;
  /** Instruction id of the unit that put it. */
  readonly writer: number;
  /** Position where it was put. */
  readonly origin: number;
}

const NONE = -2147483648;
const EMPTY = new Int32Array(0);

export class StreamFile {
  private readonly ringMask: number;
  private readonly ringBits: number;
  // Allocated on the first put or take (alloc()): the chips of a large run that the fast path simulates (fast/run.ts)
  // never need them, and hundreds of chips' worth would only feed the garbage collector.
  private tag: Int32Array = EMPTY;
  private origin: Int32Array = EMPTY;
  private taken: Uint8Array = new Uint8Array(0);
  private writer: Int32Array = EMPTY;
  /** Per slot, its word's bytes (allocated on the slot's first put) when values are simulated. */
  private value: (Uint8Array | null)[] | null = null;
  private readonly slots: number;
  /** Words to put before the file is next used (the fast path's final words, fast/final.ts): most runs never look. */
  private pending: (() => void) | undefined;

  constructor(
    readonly streamsPerDirection: number,
    readonly positions: number,
    readonly lanes = 0,
    private readonly functional = false,
  ) {
    let bits = 0;
    while (1 << bits <= positions) bits++;
    this.ringBits = bits;
    this.ringMask = (1 << bits) - 1;
    this.slots = (2 * streamsPerDirection) << bits;
  }

  /** Runs `fill` (which puts words) the first time the file is used. */
  defer(fill: () => void): void {
    this.pending = fill;
  }

  private settle(): void {
    const fill = this.pending;
    this.pending = undefined;
    fill?.();
  }

  private alloc(): void {
    const slots = this.slots;
    this.tag = new Int32Array(slots).fill(NONE);
    this.origin = new Int32Array(slots);
    this.taken = new Uint8Array(slots);
    this.writer = new Int32Array(slots);
    this.value = this.functional ? new Array<Uint8Array | null>(slots).fill(null) : null;
  }

  /** The slot of group g at (pos, cycle), and its diagonal in `diag`. */
  private slotOf(g: number, pos: number, cycle: number): number {
    const d = g < this.streamsPerDirection ? cycle - pos : cycle + pos;
    return (g << this.ringBits) | (d & this.ringMask);
  }

  private static diagonal(west: boolean, pos: number, cycle: number): number {
    return west ? cycle + pos : cycle - pos;
  }

  /** Puts a word of group g at (pos, cycle); returns the writer of an untaken word it replaces, else -1. `value` is
   * copied (null: values are off, or zeros are meant when they are on). */
  put(g: number, pos: number, cycle: number, value: Uint8Array | null, writer: number): number {
    if (this.pending) this.settle();
    if (this.tag.length === 0) this.alloc();
    const west = g >= this.streamsPerDirection;
    const d = StreamFile.diagonal(west, pos, cycle);
    const s = (g << this.ringBits) | (d & this.ringMask);
    const lost = this.tag[s] === d && this.taken[s] === 0 ? this.writer[s]! : -1;
    this.tag[s] = d;
    this.origin[s] = pos;
    this.taken[s] = 0;
    this.writer[s] = writer;
    const values = this.value;
    if (values) {
      let buf = values[s];
      if (!buf) {
        buf = new Uint8Array(this.lanes);
        values[s] = buf;
      }
      if (value) buf.set(value);
      else buf.fill(0);
    }
    return lost;
  }

  /** Takes the word of group g at (pos, cycle), marking it consumed; its slot, or -1 when the stream holds none. */
  take(g: number, pos: number, cycle: number): number {
    if (this.pending) this.settle();
    if (this.tag.length === 0) this.alloc();
    const west = g >= this.streamsPerDirection;
    const d = StreamFile.diagonal(west, pos, cycle);
    const s = (g << this.ringBits) | (d & this.ringMask);
    if (this.tag[s] !== d) return -1;
    this.taken[s] = 1;
    return s;
  }

  /** The bytes of the word in a slot a take returned (valid until the next put there); null when values are off. */
  valueAt(slot: number): Uint8Array | null {
    return this.value ? this.value[slot]! : null;
  }

  /** Whether a word is at (pos, cycle), without consuming it (dir 0 = east, 1 = west). Valid for the last
   * processed cycle. The value is a copy. */
  peek(dir: number, id: number, pos: number, cycle: number): StreamWord | undefined {
    if (this.pending) this.settle();
    if (this.tag.length === 0) return undefined;
    const g = dir * this.streamsPerDirection + id;
    const s = this.slotOf(g, pos, cycle);
    const d = StreamFile.diagonal(dir === 1, pos, cycle);
    if (this.tag[s] !== d) return undefined;
    const o = this.origin[s]!;
    if (dir === 0 ? o > pos : o < pos) return undefined;
    const v = this.value?.[s];
    return { value: v ? v.slice() : null, writer: this.writer[s]!, origin: o };
  }
}
