// Sorting one stream group's segment records by first diagonal, stably (for the sweep in segments.ts). In: the
// group's records (REC 32-bit numbers each: first diagonal, then its length and key packed, segments.ts) in append
// order: a few sorted runs, one per queue that touched the group. Out: the records themselves, copied into diagonal order (or the input when it is one run),
// so that the sweep reads them in order instead of through an index.

/** Numbers per segment record: first diagonal; length and 2y + kind in one number (segments.ts). */
export const REC = 2;
/** Radix sort digits: RADIX_BITS bits, so two passes order keys below 2^(2 * RADIX_BITS) apart. */
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
/** The bucket sort gives up (for the radix sort or the merge) after this many moves a record on average. */
const MOVES_PER_RECORD = 8;
/** Two runs are merged (one pass); more are radix sorted (radixRecords) in digits of at most DIGIT_BITS bits: on
 * the records of a stamped llama2-70b (groups of ~140-900 records from ~20 queues over ~100,000 diagonals: two
 * passes of 9 bits) the quickest of 6, 8 and 9 bits and of merging up to 2, 4 or 8 runs (eighteenth round). */
const MERGE_RUNS = 2;
const DIGIT_BITS = 9;

export class SegmentSort {
  /** Sorted records (scratch, grown as needed; valid until the next call). */
  private out = new Int32Array(REC * 64);
  /** The merge's second buffer of records (scratch). */
  private out2 = new Int32Array(REC * 64);
  /** Record numbers, two of them swapped per pass (the radix sort and the merge; scratch). */
  private ordA = new Int32Array(64);
  private ordB = new Int32Array(64);
  private runs = new Int32Array(64);
  private counts = new Int32Array(RADIX + 1);
  /** Each record's diagonal minus the group's first, for the radix passes. */
  private radixKey = new Int32Array(64);

  /**
   * The m records of `d` in diagonal order, stably. One run is returned as it is. Otherwise a bucket sort: the span
   * of diagonals cut into at most 2m buckets of 2^shift diagonals, one counting pass, the records copied bucket by
   * bucket, then an insertion sort whose moves stay inside a bucket (buckets are ordered). A group's traffic is spread
   * over time, so a bucket holds a record or none; when the records are too disordered within their buckets (traffic
   * bunched in a few cycles), the merge of two runs or an LSD radix sort of the records orders them instead; so do
   * they when the buckets would be 64 diagonals wide or more (few records over a long span: they come in bursts).
   */
  sorted(d: Int32Array, m: number): Int32Array {
    let lo = 0;
    let hi = 0;
    let ordered = true;
    for (let j = 0; j < m; j++) {
      const key = d[j * REC]!;
      if (j === 0) lo = hi = key;
      else if (key < d[(j - 1) * REC]!) ordered = false;
      if (key < lo) lo = key;
      if (key > hi) hi = key;
    }
    return this.sortedSpan(d, m, lo, hi, ordered);
  }

  /** As sorted(), with the least and greatest diagonal and whether the records are in order already known (the
   * store keeps them as it appends, segments.ts: one pass less over records no longer in cache). */
  sortedSpan(d: Int32Array, m: number, lo: number, hi: number, ordered: boolean): Int32Array {
    if (ordered) return d;
    if (this.out.length < m * REC) this.out = new Int32Array(2 * m * REC);
    // At most 2m buckets: fewer moves than m buckets, and half the counting and summing of 4m; 2m was the fastest of
    // the three on the records of a stamped llama2-70b (sixth round, docs/performance.md; shift < 32: span < 2^32).
    const span = hi - lo;
    let shift = 0;
    while (span >>> shift >= 2 * m) shift++;
    // Buckets 64 diagonals wide or more: the records are few over a long span, so they come in bursts (a group fed
    // a while, then idle), and a burst's records share a bucket, which the insertion pass then sorts record by
    // record. On llama2-7b (not stamped) the pass made 3.2 moves a record and gave up on a fifth of the records
    // after 8 moves each (twelfth round): the merge of the runs orders them in fewer passes.
    if (shift >= 6) return this.byRuns(d, m, lo, hi);
    if (this.bucket(d, m, lo, hi, shift)) return this.out;
    return this.byRuns(d, m, lo, hi);
  }

  /** Where each sorted run of the records starts, in this.runs (m closing); returns the number of runs. */
  private findRuns(d: Int32Array, m: number): number {
    let runs = this.runs;
    let r = 0;
    for (let j = 0; j < m; j++) {
      if (j > 0 && !(d[j * REC]! < d[(j - 1) * REC]!)) continue;
      if (r + 2 > runs.length) {
        const bigger = new Int32Array(2 * runs.length);
        bigger.set(runs);
        this.runs = runs = bigger;
      }
      runs[r++] = j;
    }
    runs[r] = m;
    return r;
  }

  /** The merge of the runs or the radix sort (for a crowded bucket), into `out`. */
  private byRuns(d: Int32Array, m: number, lo: number, hi: number): Int32Array {
    const r = this.findRuns(d, m);
    if (r > 4 && m > RADIX && hi - lo < RADIX * RADIX) {
      if (this.ordA.length < m) {
        this.ordA = new Int32Array(2 * m);
        this.ordB = new Int32Array(2 * m);
      }
      return this.gathered(d, m, this.radix(d, m, lo))!;
    }
    if (r <= MERGE_RUNS) return this.mergeRecords(d, m, r);
    return this.radixRecords(d, m, lo, hi - lo);
  }

  /**
   * LSD radix sort of the records by first diagonal minus lo, moving the records themselves (stable by
   * construction): as few passes of at most DIGIT_BITS bits as the span needs, each a count, a running sum and a
   * scatter with no comparison.
   */
  private radixRecords(d: Int32Array, m: number, lo: number, span: number): Int32Array {
    if (this.out.length < m * REC) this.out = new Int32Array(2 * m * REC);
    if (this.out2.length < this.out.length) this.out2 = new Int32Array(this.out.length);
    let bits = 1;
    while (bits < 32 && span >>> bits !== 0) bits++;
    const passes = Math.ceil(bits / DIGIT_BITS);
    const digit = Math.ceil(bits / passes);
    const size = 1 << digit;
    const mask = size - 1;
    if (this.counts.length < size + 1) this.counts = new Int32Array(size + 1);
    const counts = this.counts;
    let src: Int32Array = d;
    let dst: Int32Array = this.out;
    const other = this.out2;
    for (let p = 0, shift = 0; p < passes; p++, shift += digit) {
      counts.fill(0, 0, size);
      for (let s = 0; s < m * REC; s += REC) counts[((src[s]! - lo) >>> shift) & mask]!++;
      let sum = 0;
      for (let b = 0; b < size; b++) {
        const c = counts[b]!;
        counts[b] = sum;
        sum += c;
      }
      for (let s = 0; s < m * REC; s += REC) {
        const key = src[s]!;
        const o = counts[((key - lo) >>> shift) & mask]!++ * REC;
        dst[o] = key;
        dst[o + 1] = src[s + 1]!;
      }
      // The next pass reads what this one wrote and writes the other buffer (never `d`).
      const written = dst;
      dst = src === d ? other : src;
      src = written;
    }
    return src;
  }

  /**
   * Natural merge sort of the records' r runs (starts in this.runs, m closing), pairwise and stable, moving the
   * records themselves between `out` and a second buffer: no record numbers to read the diagonals through, and no
   * gathering pass at the end.
   */
  private mergeRecords(d: Int32Array, m: number, r: number): Int32Array {
    if (this.out.length < m * REC) this.out = new Int32Array(2 * m * REC);
    if (this.out2.length < this.out.length) this.out2 = new Int32Array(this.out.length);
    const runs = this.runs;
    let src: Int32Array = d;
    let dst: Int32Array = this.out;
    const other = this.out2;
    while (r > 1) {
      let w = 0;
      for (let k = 0; k < r; k += 2) {
        const lo = runs[k]! * REC;
        const mid = runs[k + 1]! * REC;
        const hi = k + 2 <= r ? runs[k + 2]! * REC : mid;
        runs[w++] = runs[k]!;
        let i = lo;
        let j = mid;
        let o = lo;
        if (j < hi) {
          let x = src[i]!;
          let y = src[j]!;
          for (;;) {
            // Ties take the left run first: stable, as the rules need equal diagonals in append order.
            if (y < x) {
              dst[o] = y;
              dst[o + 1] = src[j + 1]!;
              o += REC;
              j += REC;
              if (j === hi) break;
              y = src[j]!;
            } else {
              dst[o] = x;
              dst[o + 1] = src[i + 1]!;
              o += REC;
              i += REC;
              if (i === mid) break;
              x = src[i]!;
            }
          }
        }
        while (i < mid) dst[o++] = src[i++]!;
        while (j < hi) dst[o++] = src[j++]!;
      }
      runs[w] = m;
      r = w;
      // The next pass reads what this one wrote and writes the other buffer (never `d`).
      const written = dst;
      dst = src === d ? other : src;
      src = written;
    }
    return src;
  }

  /**
   * The record numbers of `d` in diagonal order, stably (valid until the next call): the merge of the runs, or the
   * radix sort when merging would take three passes or more and the keys (whole cycles) span two digits.
   */
  order(d: Int32Array, m: number, lo: number, hi: number): Int32Array {
    const r = this.findRuns(d, m);
    if (this.ordA.length < m) {
      this.ordA = new Int32Array(2 * m);
      this.ordB = new Int32Array(2 * m);
    }
    return r > 4 && m > RADIX && hi - lo < RADIX * RADIX ? this.radix(d, m, lo) : this.merge(d, m, r);
  }

  /**
   * The m records of `d` copied in `order` (a permutation of 0 .. m - 1, e.g. an order found for the records of
   * another chip that runs the same queues) into `out`, if that puts them in diagonal order; otherwise undefined.
   */
  gathered(d: Int32Array, m: number, order: Int32Array): Int32Array | undefined {
    if (this.out.length < m * REC) this.out = new Int32Array(2 * m * REC);
    const out = this.out;
    let prev = -0x80000000;
    for (let j = 0; j < m; j++) {
      const s = order[j]! * REC;
      const key = d[s]!;
      if (key < prev) return undefined;
      prev = key;
      out[j * REC] = key;
      out[j * REC + 1] = d[s + 1]!;
    }
    return out;
  }

  /** The bucket sort above into `out`; false (and `out` undefined) past MOVES_PER_RECORD moves a record. */
  private bucket(d: Int32Array, m: number, lo: number, hi: number, shift: number): boolean {
    const nb = ((hi - lo) >>> shift) + 1;
    if (this.counts.length < nb + 1) this.counts = new Int32Array(2 * nb + 2);
    const counts = this.counts;
    counts.fill(0, 0, nb);
    for (let j = 0; j < m; j++) counts[(d[j * REC]! - lo) >>> shift]!++;
    // Each bucket's first place: a running sum in a local (no store read back by the next step).
    let sum = 0;
    for (let b = 0; b < nb; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    const out = this.out;
    for (let j = 0; j < m; j++) {
      const s = j * REC;
      const key = d[s]!;
      const o = counts[(key - lo) >>> shift]!++ * REC;
      out[o] = key;
      out[o + 1] = d[s + 1]!;
    }
    // Insertion sort: a record moves left past greater diagonals only (stable), never out of its bucket. Records of
    // equal diagonals (a put and its takes) never move, so a crowded bucket costs only its disorder, which is bounded:
    // past MOVES_PER_RECORD moves a record on average, the runs are merged instead.
    let budget = MOVES_PER_RECORD * m;
    for (let i = 1; i < m; i++) {
      const key = out[i * REC]!;
      if (out[(i - 1) * REC]! <= key) continue;
      const lenYk = out[i * REC + 1]!;
      let j = i;
      while (j > 0 && out[(j - 1) * REC]! > key) {
        if (--budget < 0) return false;
        out[j * REC] = out[(j - 1) * REC]!;
        out[j * REC + 1] = out[(j - 1) * REC + 1]!;
        j--;
      }
      out[j * REC] = key;
      out[j * REC + 1] = lenYk;
    }
    return true;
  }

  /** LSD radix sort of the records by first diagonal minus lo (two RADIX_BITS digits; stable by construction). */
  private radix(d: Int32Array, m: number, lo: number): Int32Array {
    if (this.counts.length < RADIX + 1) this.counts = new Int32Array(RADIX + 1);
    const counts = this.counts;
    if (this.radixKey.length < m) this.radixKey = new Int32Array(this.ordA.length);
    const key = this.radixKey;
    for (let j = 0; j < m; j++) key[j] = d[j * REC]! - lo;
    let src = this.ordA;
    let dst = this.ordB;
    for (let j = 0; j < m; j++) src[j] = j;
    for (let shift = 0; shift < 2 * RADIX_BITS; shift += RADIX_BITS) {
      counts.fill(0, 0, RADIX + 1);
      for (let j = 0; j < m; j++) counts[((key[j]! >>> shift) & (RADIX - 1)) + 1]!++;
      for (let k = 0; k < RADIX; k++) counts[k + 1]! += counts[k]!;
      for (let j = 0; j < m; j++) {
        const s = src[j]!;
        dst[counts[(key[s]! >>> shift) & (RADIX - 1)]!++] = s;
      }
      const t = src;
      src = dst;
      dst = t;
    }
    return src;
  }

  /** Natural merge sort of the records' r runs (starts in this.runs, m closing), pairwise, stable. */
  private merge(d: Int32Array, m: number, r: number): Int32Array {
    const runs = this.runs;
    let src = this.ordA;
    let dst = this.ordB;
    for (let j = 0; j < m; j++) src[j] = j;
    while (r > 1) {
      // Merge runs pairwise (2k, 2k + 1) into dst; an odd last run is copied.
      let w = 0;
      for (let k = 0; k < r; k += 2) {
        const lo = runs[k]!;
        const mid = runs[k + 1]!;
        const hi = k + 2 <= r ? runs[k + 2]! : mid;
        runs[w++] = lo;
        let i = lo;
        let j = mid;
        let o = lo;
        while (i < mid && j < hi) {
          const x = src[i]!;
          const y = src[j]!;
          // Ties take the left run first: stable, as the rules need equal diagonals in append order.
          if (d[y * REC]! < d[x * REC]!) {
            dst[o++] = y;
            j++;
          } else {
            dst[o++] = x;
            i++;
          }
        }
        while (i < mid) dst[o++] = src[i++]!;
        while (j < hi) dst[o++] = src[j++]!;
      }
      runs[w] = m;
      r = w;
      const t = src;
      src = dst;
      dst = t;
    }
    return src;
  }
}
