// The fast path's encoded instructions as rows (chip-run.ts, chip-units.ts read them): each instruction's numbers in
// ROW consecutive 32-bit words of one array, packed from the encoders' columns (code.ts FastCode, which encode.ts and
// encode-checked.ts write). An instruction's fields are then one or two cache lines of memory instead of one line
// from each of eight column arrays: a stamped copy reads its original's shared encoding from memory, not cache.
// In: a FastCode block. Out: the same numbers, row after row (word by word below); false when a stream group does
// not fit its 10 bits (the fast path then gives way).
import type { FastCode } from "../code.ts";

/** 32-bit words per instruction. */
export const ROW = 8;
/** Word of the explicit issue cycle (-1: none), the vectors, the slots (cycles the unit is busy), the latency. */
export const R_CYCLE = 0;
export const R_N = 1;
export const R_SLOTS = 2;
export const R_LATENCY = 3;
/** Words of the operands a and b (code.ts Columns: their meaning by opcode). */
export const R_A = 4;
export const R_B = 5;
/** op | t0 << 8 | t1 << 16 | fn << 24: read with opOf, t0Of, t1Of, fnOf. */
export const R_OPS = 6;
/** The stream groups s0, s1, s2 (-1: none), 10 bits each, signed: read with s0Of, s1Of, s2Of. */
export const R_GROUPS = 7;

/** The largest stream group a row holds (2 * streams per direction - 1 must not pass it). */
const MAX_GROUP = 511;

export const opOf = (w: number): number => w & 0xff;
export const t0Of = (w: number): number => (w >>> 8) & 0xff;
export const t1Of = (w: number): number => (w >>> 16) & 0xff;
export const fnOf = (w: number): number => w >>> 24;
export const s0Of = (w: number): number => (w << 22) >> 22;
export const s1Of = (w: number): number => (w << 12) >> 22;
export const s2Of = (w: number): number => (w << 2) >> 22;

/** Packs rows [0, count) of `c` into `rows` from row `at`; false when a stream group is beyond MAX_GROUP. */
export function packRows(c: FastCode, count: number, rows: Int32Array, at: number): boolean {
  let fits = true;
  for (let j = 0; j < count; j++) {
    const b = (at + j) * ROW;
    rows[b + R_CYCLE] = c.cycle[j]!;
    rows[b + R_N] = c.n[j]!;
    rows[b + R_SLOTS] = c.slots[j]!;
    rows[b + R_LATENCY] = c.latency[j]!;
    rows[b + R_A] = c.a[j]!;
    rows[b + R_B] = c.b[j]!;
    rows[b + R_OPS] = c.op[j]! | (c.t0[j]! << 8) | (c.t1[j]! << 16) | (c.fn[j]! << 24);
    const s0 = c.s0[j]!;
    const s1 = c.s1[j]!;
    const s2 = c.s2[j]!;
    if (s0 > MAX_GROUP || s1 > MAX_GROUP || s2 > MAX_GROUP || s0 < -1 || s1 < -1 || s2 < -1) fits = false;
    rows[b + R_GROUPS] = (s0 & 0x3ff) | ((s1 & 0x3ff) << 10) | ((s2 & 0x3ff) << 20);
  }
  return fits;
}
