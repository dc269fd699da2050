// The bank-port intervals of one chip's fast run (fast/chip-units.ts claims them): per (slice, bank) and port (0 read,
// 1 write), the port's access intervals [from, until) on the bank, in time order, from the list's head on. Flat: the
// lists live in one Int32Array, a bank in one block of 16 numbers (64 bytes, a cache line): each port's head, end,
// start and room, then room for two intervals of each port; a list that outgrows its room moves to the array's top.
// Before, each list was an object with a Float64Array of its own (a read's claim was five dependent loads, each a
// likely cache miss on a loaded machine, before its first interval: 12-15% of a stamped llama2-70b's run).
// In: claims, queue by queue. Out: a Bail on any cycle two ports could share.
import { Bail } from "./bail.ts";

/** Numbers per bank: per port its head, end (absolute positions in `pool`), start and room, then its first room. */
const BANK = 16;
/** Numbers of room a list starts with (two intervals: a port's live intervals are nearly always one or none). */
const INITIAL = 4;
/** Where a port's numbers are in its bank's block (port p: 4p + field; its first room at FIRST + INITIAL * p). */
const HEAD = 0;
const END = 1;
const START = 2;
const ROOM = 3;
const FIRST = 8;

export class BankClaims {
  /** Every bank's block, then the lists that outgrew their first room. */
  private pool: Int32Array;
  /** The blocks as reset() leaves them. */
  private readonly initial: Int32Array;
  /** The first number of `pool` no list owns. */
  private top: number;

  /** `lists`: banks times two (a list per port; bank b's lists are 2b and 2b + 1). */
  constructor(readonly lists: number) {
    const banks = lists >> 1;
    this.initial = new Int32Array(banks * BANK);
    for (let b = 0; b < banks; b++)
      for (let port = 0; port < 2; port++) {
        const m = b * BANK + 4 * port;
        const s = b * BANK + FIRST + INITIAL * port;
        this.initial[m + HEAD] = s;
        this.initial[m + END] = s;
        this.initial[m + START] = s;
        this.initial[m + ROOM] = INITIAL;
      }
    this.top = this.initial.length;
    this.pool = new Int32Array(Math.max(64, 2 * this.top));
    this.pool.set(this.initial);
  }

  /** Empties every list (as each chip starts). */
  reset(): void {
    this.pool.set(this.initial);
    this.top = this.initial.length;
  }

  /**
   * Port `port` of the bank at index k (even: its lists are k and k + 1) uses cycles [from, until) for an
   * instruction issued at `t`. A port's intervals on a bank come in time order and never overlap (unit-busy), so only
   * the other port's intervals can share a cycle: the first of them that ends after `from` is the only candidate,
   * and those ending before it can meet no later interval of this port either. A bank belongs to one queue, whose
   * issue cycles never decrease, so no later claim starts before `t`: this port's intervals that end by then are
   * dropped too (a slice only read, or only written, keeps a list as short as its overlapping accesses instead of
   * one entry per access).
   */
  claim(k: number, port: number, from: number, until: number, t: number): void {
    // Cycles in 32 bits (0 <= t <= from < until: issue cycles start at 0), so checking until covers all three.
    if (until > 0x7fffffff) throw new Bail("a number beyond 32-bit integers");
    let p = this.pool;
    const block = k * (BANK / 2);
    const o = block + 4 * (1 - port);
    let h = p[o + HEAD]!;
    const e = p[o + END]!;
    while (h < e && p[h + 1]! <= from) h += 2;
    p[o + HEAD] = h;
    if (h < e && p[h]! < until) throw new Bail("a bank conflict");
    const m = block + 4 * port;
    let mh = p[m + HEAD]!;
    let me = p[m + END]!;
    while (mh < me && p[mh + 1]! <= t) mh += 2;
    if (mh === me) mh = me = p[m + START]!;
    else if (me + 2 > p[m + START]! + p[m + ROOM]!) {
      p[m + HEAD] = mh;
      this.makeRoom(m);
      p = this.pool;
      mh = p[m + HEAD]!;
      me = p[m + END]!;
    }
    p[me] = from;
    p[me + 1] = until;
    p[m + HEAD] = mh;
    p[m + END] = me + 2;
  }

  /** Room for one more interval in the list whose fields are at m: its live numbers moved to its start, or to twice
   * the room at the top. */
  private makeRoom(m: number): void {
    let p = this.pool;
    const h = p[m + HEAD]!;
    const live = p[m + END]! - h;
    let s = p[m + START]!;
    let room = p[m + ROOM]!;
    if (live + 2 > room) {
      room *= 2;
      if (this.top + room > p.length) {
        const bigger = new Int32Array(Math.max(2 * p.length, this.top + room));
        bigger.set(p.subarray(0, this.top));
        this.pool = p = bigger;
      }
      s = this.top;
      this.top += room;
      p[m + START] = s;
      p[m + ROOM] = room;
    }
    // Forward: the list's own start is before its head, and fresh room at the top is past its old room. A loop, not
    // copyWithin: a handful of numbers, where the native call costs more than the copy.
    for (let i = 0; i < live; i++) p[s + i] = p[h + i]!;
    p[m + HEAD] = s;
    p[m + END] = s + live;
  }
}
