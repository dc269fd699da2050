// Stream registers of one chip, modelled by diagonals instead of shifting every register every cycle.
// A word put on an eastward stream at (position p, cycle t) is at (p + k, t + k): it lives on the diagonal
// d = t - p (westward: d = t + p). Events are processed in cycle order, so when a unit takes at (q, c) every put
// on diagonal d upstream of q (cycle <= c) has happened and none downstream has: the last put on d is the word at
// (q, c). Only the last put per diagonal is kept, in a ring indexed by d (ring > positions, so a slot whose
// diagonal differs is a word that has left the chip). Cost: O(1) per put or take, nothing per idle cycle.

export interface StreamWord {
  /** The bytes (one per lane), or null when values are not simulated. */
  readonly value: Uint8Array | null;
  /** Instruction id of the unit that put it. */
  readonly writer: number;
  /** Position where it was put. */
  readonly origin: number;
}

export interface PutResult {
  /** When the put replaced a word nobody took: that word's writer. */
  readonly lostWriter: number | undefined;
}

export class StreamFile {
  private readonly ring: number;
  private readonly tag: Float64Array;
  private readonly origin: Int32Array;
  private readonly taken: Uint8Array;
  private readonly writer: Int32Array;
  private readonly value: (Uint8Array | null)[];

  constructor(
    readonly streamsPerDirection: number,
    readonly positions: number,
  ) {
    let ring = 1;
    while (ring <= positions) ring *= 2;
    this.ring = ring;
    const slots = 2 * streamsPerDirection * ring;
    this.tag = new Float64Array(slots).fill(Number.NaN);
    this.origin = new Int32Array(slots);
    this.taken = new Uint8Array(slots);
    this.writer = new Int32Array(slots);
    this.value = new Array<Uint8Array | null>(slots).fill(null);
  }

  /** dir 0 = east, 1 = west. */
  private slot(dir: number, id: number, d: number): number {
    const r = this.ring;
    return (dir * this.streamsPerDirection + id) * r + (((d % r) + r) % r);
  }

  private static diagonal(dir: number, pos: number, cycle: number): number {
    return dir === 0 ? cycle - pos : cycle + pos;
  }

  /** Puts a word at (pos, cycle); reports the writer of an untaken word it replaces. */
  put(dir: number, id: number, pos: number, cycle: number, value: Uint8Array | null, writer: number): number {
    const d = StreamFile.diagonal(dir, pos, cycle);
    const s = this.slot(dir, id, d);
    const lost = this.tag[s] === d && this.taken[s] === 0 ? this.writer[s]! : -1;
    this.tag[s] = d;
    this.origin[s] = pos;
    this.taken[s] = 0;
    this.writer[s] = writer;
    this.value[s] = value;
    return lost;
  }

  /** Takes the word at (pos, cycle), marking it consumed; undefined when the stream holds none there. */
  take(dir: number, id: number, pos: number, cycle: number): StreamWord | undefined {
    const d = StreamFile.diagonal(dir, pos, cycle);
    const s = this.slot(dir, id, d);
    if (this.tag[s] !== d) return undefined;
    this.taken[s] = 1;
    return { value: this.value[s]!, writer: this.writer[s]!, origin: this.origin[s]! };
  }

  /** Whether a word is at (pos, cycle), without consuming it. Valid for the last processed cycle. */
  peek(dir: number, id: number, pos: number, cycle: number): StreamWord | undefined {
    const d = StreamFile.diagonal(dir, pos, cycle);
    const s = this.slot(dir, id, d);
    if (this.tag[s] !== d) return undefined;
    const o = this.origin[s]!;
    if (dir === 0 ? o > pos : o < pos) return undefined;
    return { value: this.value[s]!, writer: this.writer[s]!, origin: o };
  }
}
