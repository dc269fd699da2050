// The SRAM a chip holds as the partitioner's ops join it (pack.ts, spread.ts): in, the items each op puts on the
// chip (pinned sources once per key, temporaries with the op after which they are freed); out, the chip's bytes:
// pinned plus, per element size, the peak of live temporaries, as allocate's per-size slice groups will need them.
/** What one op puts on one chip of its stage. `key` (`tensor/tile`) is counted once per chip, by its number `id`
 * (`item` makes both). */
export interface Item {
  readonly key: string;
  readonly id: number;
  readonly bytes: number;
  /** Sources stay for the whole program; a temporary is freed after op `until`. */
  readonly pinned: boolean;
  readonly elem: number;
  readonly until: number;
}

/** The numbers of key prefixes (a tensor's id, a chip's copy of it, a partial sum's name), in order of first use,
 * and whether each holds a "/" (then its keys are numbered as whole strings: see TILES). Process-wide and never
 * emptied (ids must stay valid for every item made): it holds as many strings as the distinct prefixes of the models
 * compiled in the process, about one per tensor and chip copy. */
const PREFIX_IDS = new Map<string, number>();
const SLASHED: boolean[] = [];
/** A key `prefix/tile` is numbered prefix * TILES + tile; a key without a tile, with a tile of TILES - 1 or more,
 * or with a prefix holding a "/" (so that its string could be another prefix's key) is a prefix of its own, numbered
 * key * TILES + TILES - 1. Keys made the same way (a prefix and a tile, or one whole key) so get equal ids; a whole
 * key spelled like a prefix and a tile ("x/3" against ("x", 3)) would not, and no caller makes one. */
const TILES = 4096;

/** The number of a key prefix, for `item` (a caller making many items of one prefix asks once). */
export function keyPrefix(prefix: string): number {
  let id = PREFIX_IDS.get(prefix);
  if (id === undefined) {
    id = PREFIX_IDS.size;
    PREFIX_IDS.set(prefix, id);
    SLASHED[id] = prefix.includes("/");
  }
  return id;
}

/** An item of key `prefix/tile` (`tile` undefined: the key `prefix` alone), the prefix numbered by `keyPrefix`
 * (`prefixNumber`) when the caller has it. ChipFill's sets hold the ids: a lookup hashes a small integer, where a
 * key string made for the item had to be flattened and hashed (most of ChipFill's time on llama2-70b-fp8's packing
 * and unit spread), and the prefix, mostly a tensor's own id string, hashes once. */
export function item(
  prefix: string,
  tile: number | undefined,
  bytes: number,
  pinned: boolean,
  elem: number,
  until: number,
  prefixNumber?: number,
): Item {
  if (tile !== undefined && tile < TILES - 1) {
    const n = prefixNumber ?? keyPrefix(prefix);
    if (!SLASHED[n]) return { key: `${prefix}/${tile}`, id: n * TILES + tile, bytes, pinned, elem, until };
  }
  const key = tile === undefined ? prefix : `${prefix}/${tile}`;
  return { key, id: keyPrefix(key) * TILES + TILES - 1, bytes, pinned, elem, until };
}

/** SRAM a chip holds as ops join it: pinned bytes, and per element size the peak of live temporaries. The spread
 * asks `totalWith` for every candidate of every op at every fill (most of the partition's time on a deep model), so
 * the per element size figures are small arrays indexed by the size (1, 2 or 4 bytes), not maps. */
export class ChipFill {
  pinned = 0;
  readonly counted = new Set<number>();
  /** Per element size, the live temporaries: their bytes and the op after which each is freed (parallel arrays,
   * compacted in place when one is freed), the least of those ops, and their bytes' sum. */
  private readonly liveSize: number[][] = [];
  private readonly liveUntil: number[][] = [];
  private readonly liveFirstFreed: number[] = [];
  private readonly liveBytes: number[] = [];
  private readonly peak: number[] = [];
  /** The sum of `peak`: sizes are whole bytes, so the sums are exact in any order. */
  private peakSum = 0;
  /** Per element size, the live bytes at the op last asked about (the spread asks for every candidate of an op);
   * NaN: none asked since the last add. */
  private readonly liveAtOp: number[] = new Array<number>(9).fill(Number.NaN);
  private readonly liveAtBytes: number[] = new Array<number>(9).fill(0);

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
    if (!check) return this.sumNew(listSums(items), at, more.length > 0 ? listSums(more) : undefined);
    let t = this.pinned + this.peakSum;
    const add = ADD_SCRATCH;
    let sizes = 0;
    for (const list of [items, more])
      for (const it of list) {
        if (this.counted.has(it.id)) continue;
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

  /** sum without lookups, from the lists' sums (the same integers added in another order: exact). */
  private sumNew(a: ListSums, at: number, b: ListSums | undefined): number {
    let t = this.pinned + this.peakSum + a.pinned + (b?.pinned ?? 0);
    let sizes = a.sizes | (b?.sizes ?? 0);
    for (let e = 0; sizes !== 0; e++, sizes >>= 1) {
      if ((sizes & 1) === 0) continue;
      const grown = a.temp[e]! + (b?.temp[e] ?? 0) + this.liveBytesAt(e, at) - (this.peak[e] ?? 0);
      if (grown > 0) t += grown;
    }
    return t;
  }

  private liveBytesAt(e: number, at: number): number {
    if (this.liveAtOp[e] === at) return this.liveAtBytes[e]!;
    let bytes = 0;
    const until = this.liveUntil[e];
    if (until) {
      const size = this.liveSize[e]!;
      for (let k = 0; k < until.length; k++) if (until[k]! >= at) bytes += size[k]!;
    }
    this.liveAtOp[e] = at;
    this.liveAtBytes[e] = bytes;
    return bytes;
  }

  add(items: readonly Item[], at: number): void {
    this.liveAtOp.fill(Number.NaN);
    // Temporaries freed before `at` leave (in place: no list is copied unless one is freed).
    for (let e = 0; e < this.liveUntil.length; e++) {
      const until = this.liveUntil[e];
      if (!until || !(this.liveFirstFreed[e]! < at)) continue;
      const size = this.liveSize[e]!;
      let n = 0;
      let bytes = 0;
      let first = Number.POSITIVE_INFINITY;
      for (let k = 0; k < until.length; k++) {
        const u = until[k]!;
        if (u < at) continue;
        until[n] = u;
        size[n] = size[k]!;
        bytes += size[k]!;
        if (u < first) first = u;
        n++;
      }
      until.length = n;
      size.length = n;
      this.liveBytes[e] = bytes;
      this.liveFirstFreed[e] = first;
    }
    const counted = this.counted;
    for (const it of items) {
      // One lookup: the key is new when adding it grew the set.
      const before = counted.size;
      if (counted.add(it.id).size === before) continue;
      if (it.pinned) {
        this.pinned += it.bytes;
        continue;
      }
      const e = it.elem;
      if (!this.liveUntil[e]) {
        this.liveUntil[e] = [];
        this.liveSize[e] = [];
        this.liveFirstFreed[e] = Number.POSITIVE_INFINITY;
      }
      this.liveUntil[e].push(it.until);
      this.liveSize[e]!.push(it.bytes);
      if (it.until < this.liveFirstFreed[e]!) this.liveFirstFreed[e] = it.until;
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

/** An item list's bytes counted as all new: pinned, and per element size (a bit in `sizes` for each size of a
 * temporary) the temporaries'. */
interface ListSums {
  readonly pinned: number;
  readonly sizes: number;
  readonly temp: readonly number[];
}

/** Each item list's sums, once: the spread weighs an op's candidate lists at every chip and fill, most of them
 * (about 88% of the items on llama2-70b-fp8's unit of layers) lists asked about before, and a list is never changed
 * once made (pack.ts, spread.ts, in-place.ts make them; nothing pushes onto a list it has passed on). */
const LIST_SUMS = new WeakMap<readonly Item[], ListSums>();

function listSums(items: readonly Item[]): ListSums {
  let s = LIST_SUMS.get(items);
  if (s) return s;
  let pinned = 0;
  let sizes = 0;
  const temp = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const it of items) {
    if (it.pinned) pinned += it.bytes;
    else {
      temp[it.elem] = temp[it.elem]! + it.bytes;
      sizes |= 1 << it.elem;
    }
  }
  s = { pinned, sizes, temp };
  LIST_SUMS.set(items, s);
  return s;
}
/** totalWith's per element size sums (sizes up to 8 bytes), zeroed again after each call. */
const ADD_SCRATCH = new Array<number>(9).fill(0);
