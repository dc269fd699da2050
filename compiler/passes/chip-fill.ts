// The SRAM a chip holds as the partitioner's ops join it (pack.ts, spread.ts): in, the items each op puts on the
// chip (pinned sources once per key, temporaries with the op after which they are freed); out, the chip's bytes:
// pinned plus, per element size, the peak of live temporaries, as allocate's per-size slice groups will need them.
/** What one op puts on one chip of its stage. `key` (`tensor/tile`) is counted once per chip. */
export interface Item {
  readonly key: string;
  readonly bytes: number;
  /** Sources stay for the whole program; a temporary is freed after op `until`. */
  readonly pinned: boolean;
  readonly elem: number;
  readonly until: number;
}

/** SRAM a chip holds as ops join it: pinned bytes, and per element size the peak of live temporaries. The spread
 * asks `totalWith` for every candidate of every op at every fill (most of the partition's time on a deep model), so
 * the per element size figures are small arrays indexed by the size (1, 2 or 4 bytes), not maps. */
export class ChipFill {
  pinned = 0;
  readonly counted = new Set<string>();
  private readonly live: { bytes: number; until: number }[][] = [];
  private readonly liveBytes: number[] = [];
  private readonly peak: number[] = [];
  /** The sum of `peak`: sizes are whole bytes, so the sums are exact in any order. */
  private peakSum = 0;
  /** Per element size, the live bytes at the op last asked about (the spread asks for every candidate of an op). */
  private liveAtOp: number[] = [];
  private liveAtBytes: number[] = [];

  total(): number {
    return this.pinned + this.peakSum;
  }

  /** Bytes this chip would hold with `items` (and `more`) of op `at` added (nothing changes). A size none of the
   * items has keeps its peak: the bytes live at `at` are some of those live at the last add, at most the peak. */
  totalWith(items: readonly Item[], at: number, more: readonly Item[] = NO_ITEMS): number {
    return this.sum(items, at, more, this.counted.size > 0);
  }

  /** Whether `totalWith(items, at, more)` is at most `budget`. Counting every item as new (no key looked up, the
   * most of the lookups' cost) gives at least totalWith, and mostly settles it: only a chip near its budget is
   * counted again with the lookups. */
  fits(items: readonly Item[], at: number, budget: number, more: readonly Item[] = NO_ITEMS): boolean {
    const check = this.counted.size > 0;
    if (check && this.sum(items, at, more, false) <= budget) return true;
    return this.sum(items, at, more, check) <= budget;
  }

  /** totalWith, counting the items on the chip already (`check`) once or (not) again. */
  private sum(items: readonly Item[], at: number, more: readonly Item[], check: boolean): number {
    let t = this.pinned + this.peakSum;
    const add = ADD_SCRATCH;
    let sizes = 0;
    for (const list of [items, more])
      for (const it of list) {
        if (check && this.counted.has(it.key)) continue;
        if (it.pinned) t += it.bytes;
        else {
          add[it.elem] = add[it.elem]! + it.bytes;
          sizes |= 1 << it.elem;
        }
      }
    for (let e = 0; sizes !== 0; e++, sizes >>= 1) {
      if ((sizes & 1) === 0) continue;
      const grown = add[e]! + this.liveBytesAt(e, at) - (this.peak[e] ?? 0);
      if (grown > 0) t += grown;
      add[e] = 0;
    }
    return t;
  }

  private liveBytesAt(e: number, at: number): number {
    if (this.liveAtOp[e] === at) return this.liveAtBytes[e]!;
    let bytes = 0;
    for (const l of this.live[e] ?? []) if (l.until >= at) bytes += l.bytes;
    this.liveAtOp[e] = at;
    this.liveAtBytes[e] = bytes;
    return bytes;
  }

  add(items: readonly Item[], at: number): void {
    this.liveAtOp = [];
    this.liveAtBytes = [];
    this.live.forEach((list, e) => {
      const keep = list.filter((l) => l.until >= at);
      if (keep.length !== list.length) {
        this.live[e] = keep;
        this.liveBytes[e] = keep.reduce((s, l) => s + l.bytes, 0);
      }
    });
    for (const it of items) {
      if (this.counted.has(it.key)) continue;
      this.counted.add(it.key);
      if (it.pinned) {
        this.pinned += it.bytes;
        continue;
      }
      const e = it.elem;
      this.live[e] ??= [];
      this.live[e].push({ bytes: it.bytes, until: it.until });
      const now = (this.liveBytes[e] ?? 0) + it.bytes;
      this.liveBytes[e] = now;
      const peak = this.peak[e] ?? 0;
      if (now > peak) {
        this.peak[e] = now;
        this.peakSum += now - peak;
      }
    }
  }
}

const NO_ITEMS: readonly Item[] = [];
/** totalWith's per element size sums (sizes up to 8 bytes), zeroed again after each call. */
const ADD_SCRATCH = new Array<number>(9).fill(0);
