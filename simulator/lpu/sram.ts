// SRAM of one chip: one lazily allocated byte array per MEM slice (an untouched slice costs nothing), the bank
// port of every bank (one access per cycle), writes in flight (visible L_write cycles after their access), and
// which words were ever used (for the bytes-used statistic). Values may be off: then only timing is tracked.

interface InFlight {
  readonly addr: number;
  readonly visibleAt: number;
  readonly writer: number;
}

const NO_CYCLES = new Float64Array(0);
const NO_USERS = new Int32Array(0);

export class Sram {
  private readonly data: (Uint8Array | null)[];
  /**
   * A bit per word ever used, slice after slice (usedStride 32-bit words each), allocated on the first use: one typed
   * array per chip instead of one per slice (a fast run of hundreds of chips marks thousands of slices at its end).
   */
  private used: Int32Array | null = null;
  /** 32-bit words of `used` per slice. */
  readonly usedStride: number;
  /** Per bank, the cycle of its last claim (the exact engine's, claimBank) and the claiming instruction: made on the
   * first claim, so that the chips of a run the fast path simulates (fast/run.ts) allocate none (two typed arrays
   * per chip, a thousand on a stamped llama2-70b). */
  private bankCycle: Float64Array = NO_CYCLES;
  private bankUser: Int32Array = NO_USERS;
  /** Writes not yet visible, per slice; only kept when L_write > 1 (else a write is visible the next cycle). */
  private readonly inflight: (InFlight[] | undefined)[] = [];
  private pending = 0;
  readonly wordsPerBank: number;
  /** log2 of wordsPerBank when that is a power of two (as on tsp-v1: the fast path asks per access), else -1. */
  readonly bankShift: number;
  usedWords = 0;

  constructor(
    readonly slices: number,
    readonly wordsPerSlice: number,
    readonly banks: number,
    readonly lanes: number,
    private readonly functional: boolean,
  ) {
    this.data = new Array<Uint8Array | null>(slices).fill(null);
    this.usedStride = (wordsPerSlice + 31) >>> 5;
    this.wordsPerBank = Math.max(1, Math.floor(wordsPerSlice / banks));
    const wpb = this.wordsPerBank;
    this.bankShift = (wpb & (wpb - 1)) === 0 ? Math.log2(wpb) : -1;
  }

  bankOf(addr: number): number {
    // An arithmetic shift is floor division by a power of two, negative addresses included.
    const b = this.bankShift >= 0 ? addr >> this.bankShift : Math.floor(addr / this.wordsPerBank);
    return Math.min(this.banks - 1, b);
  }

  inRange(addr: number): boolean {
    return Number.isInteger(addr) && addr >= 0 && addr < this.wordsPerSlice;
  }

  /** Claims the bank port of `addr` for `cycle`; returns the instruction already using it, or -1. */
  claimBank(slice: number, addr: number, cycle: number, user: number): number {
    const b = slice * this.banks + this.bankOf(addr);
    if (this.bankCycle.length === 0) {
      this.bankCycle = new Float64Array(this.slices * this.banks).fill(Number.NaN);
      this.bankUser = new Int32Array(this.slices * this.banks);
    }
    if (this.bankCycle[b] === cycle) return this.bankUser[b]!;
    this.bankCycle[b] = cycle;
    this.bankUser[b] = user;
    return -1;
  }

  private usedBits(): Int32Array {
    if (this.sealed) throw new Error("internal error: a word marked used after a fast run counted them");
    this.used ??= new Int32Array(this.slices * this.usedStride);
    return this.used;
  }

  /** Set when a fast run installed its count of used words: the map is dropped, the run has ended. */
  private sealed = false;

  /** Marks a word used. */
  private markUsed(slice: number, addr: number): void {
    this.usedWords += markBits(this.usedBits(), slice * this.usedStride, addr, 1, 1);
  }

  /** Marks words addr + i*stride (i < n) used, as n writes would. */
  markWords(slice: number, addr: number, n: number, stride: number): void {
    this.usedWords += markBits(this.usedBits(), slice * this.usedStride, addr, n, stride);
  }

  /**
   * Copies the map of used words into `out` (laid out as `used`, usedStride words a slice) if there is one, and says
   * whether it did (else no word is used yet): where the fast path (fast/chip-units.ts) marks the run's writes.
   */
  usedInto(out: Int32Array): boolean {
    if (!this.used) return false;
    out.set(this.used);
    return true;
  }

  /**
   * The count of used words after a fast run that finished the program (its map from usedInto, with the run's writes
   * marked). No word can be marked after it, so the map is not kept: hundreds of chips' maps would be garbage.
   */
  installUsedCount(count: number): void {
    this.usedWords = count;
    this.used = null;
    this.sealed = true;
  }

  private slice(slice: number): Uint8Array {
    let d = this.data[slice];
    if (!d) {
      d = new Uint8Array(this.wordsPerSlice * this.lanes);
      this.data[slice] = d;
    }
    return d;
  }

  /** A copy of one word (zeros if never written); null when values are off. */
  read(slice: number, addr: number): Uint8Array | null {
    if (!this.functional) return null;
    const d = this.data[slice];
    if (!d) return new Uint8Array(this.lanes);
    return d.slice(addr * this.lanes, (addr + 1) * this.lanes);
  }

  /** Copies one word into `out` (zeros if never written). */
  readInto(slice: number, addr: number, out: Uint8Array): void {
    const d = this.data[slice];
    if (!d) {
      out.fill(0, 0, this.lanes);
      return;
    }
    const o = addr * this.lanes;
    for (let l = 0; l < this.lanes; l++) out[l] = d[o + l]!;
  }

  /** The write whose result is not yet visible at `cycle`, if any. */
  pendingWrite(slice: number, addr: number, cycle: number): InFlight | undefined {
    if (this.pending === 0) return undefined;
    for (const w of this.inflight[slice] ?? []) if (w.addr === addr && w.visibleAt > cycle) return w;
    return undefined;
  }

  write(
    slice: number,
    addr: number,
    value: Uint8Array | null,
    cycle: number,
    visibleAt: number,
    writer: number,
  ): void {
    this.markUsed(slice, addr);
    let list = this.inflight[slice];
    if (!list) {
      list = [];
      this.inflight[slice] = list;
    }
    if (list.length > 0) {
      let keep = 0;
      for (const w of list) if (w.visibleAt > cycle) list[keep++] = w;
      this.pending -= list.length - keep;
      list.length = keep;
    }
    if (visibleAt > cycle + 1) {
      list.push({ addr, visibleAt, writer });
      this.pending++;
    }
    if (value && this.functional) {
      const d = this.slice(slice);
      const o = addr * this.lanes;
      for (let l = 0; l < this.lanes; l++) d[o + l] = value[l]!;
    }
  }

  /** Initial contents (from a program's data section). */
  init(slice: number, addr: number, bytes: Uint8Array): void {
    const words = Math.ceil(bytes.length / this.lanes);
    this.markWords(slice, addr, words, 1);
    if (this.functional) this.slice(slice).set(bytes, addr * this.lanes);
  }

  /** A word for inspection (zeros if never written; null when values are off). */
  peek(slice: number, addr: number): Uint8Array | null {
    if (!this.functional) return null;
    const d = this.data[slice];
    return d ? d.slice(addr * this.lanes, (addr + 1) * this.lanes) : new Uint8Array(this.lanes);
  }
}

/**
 * Sets the bits of words addr + i*stride (i < n) in the bitset at `base` (a slice's first 32-bit word); returns how many
 * were not set before. At stride 1 a 32-bit word at a time.
 */
export function markBits(u: Int32Array, base: number, addr: number, n: number, stride: number): number {
  let added = 0;
  if (stride !== 1 || n < 8) {
    for (let i = 0; i < n; i++) {
      const a = addr + i * stride;
      const bit = 1 << (a & 31);
      const w = base + (a >>> 5);
      const had = u[w]!;
      if ((had & bit) === 0) {
        u[w] = had | bit;
        added++;
      }
    }
    return added;
  }
  const end = addr + n;
  for (let a = addr; a < end; ) {
    const w = base + (a >>> 5);
    const lo = a & 31;
    const hi = Math.min(32, lo + (end - a));
    const mask = (hi === 32 ? -1 : (1 << hi) - 1) & ~((1 << lo) - 1);
    const had = u[w]!;
    const add = mask & ~had;
    if (add !== 0) {
      added += popcount(add);
      u[w] = had | mask;
    }
    a += hi - lo;
  }
  return added;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
