// The memory layout of a queue's columns (InstColumns, arch/isa.ts) and the moves columns-build.ts makes: in, a
// buffer and a row count; out, the 13 columns carved from it, rows copied or gathered into them, string tables
// renumbered by first use, names turned into codes. Guarantee: every column starts 8-byte aligned, Int32 ones first.
import type { Span } from "../util/diagnostics.ts";
import { BINARY_FNS, F_B, OPCODES, SXM_FNS, TYPES, UNARY_FNS } from "./columns.ts";
import type { ElemType, InstColumns, Opcode } from "./isa.ts";

/** Rows rounded up so each column of a buffer starts 8-byte aligned. */
export const pad = (n: number): number => (n + 7) & ~7;

/** Bytes of the columns of `rows` rows: 8 Int32 and 5 byte columns. */
export const columnBytes = (rows: number): number => 37 * pad(rows);

/** The columns of some rows; `ints` holds cycle, n, a, b, s0, s1, s2 in FIELD_* order. */
export interface Carved {
  readonly count: number;
  readonly ints: readonly Int32Array[];
  readonly note: Int32Array;
  readonly op: Uint8Array;
  readonly flags: Uint8Array;
  readonly t0: Uint8Array;
  readonly t1: Uint8Array;
  readonly fn: Uint8Array;
}

/** The 13 columns of `n` rows from byte `at` of `buf`: the Int32 ones first, each pad(n) rows long. */
export function carve(buf: ArrayBufferLike, at: number, n: number): Carved {
  const i32 = () => {
    const a = new Int32Array(buf, at, n);
    at += 4 * pad(n);
    return a;
  };
  const u8 = () => {
    const a = new Uint8Array(buf, at, n);
    at += pad(n);
    return a;
  };
  const ints = [i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const note = i32();
  return { count: n, ints, note, op: u8(), flags: u8(), t0: u8(), t1: u8(), fn: u8() };
}

/** The first `n` rows of `from` into `to`. */
export function copyRows(to: Carved, from: Carved, n: number): void {
  for (let f = 0; f < 7; f++) to.ints[f]!.set(from.ints[f]!.subarray(0, n));
  to.note.set(from.note.subarray(0, n));
  for (const k of ["op", "flags", "t0", "t1", "fn"] as const) to[k].set(from[k].subarray(0, n));
}

/** Row k of `to` is row rows[k] of `from`. */
export function gatherRows(to: Carved, from: Carved, rows: Int32Array): void {
  for (let f = 0; f < 7; f++) gather32(to.ints[f]!, from.ints[f]!, rows);
  gather32(to.note, from.note, rows);
  for (const k of ["op", "flags", "t0", "t1", "fn"] as const) gather8(to[k], from[k], rows);
}

/** Two functions, each with one element kind: a generic one was several times slower. */
function gather32(to: Int32Array, from: Int32Array, rows: Int32Array): void {
  for (let k = 0; k < rows.length; k++) to[k] = from[rows[k]!]!;
}

function gather8(to: Uint8Array, from: Uint8Array, rows: Int32Array): void {
  for (let k = 0; k < rows.length; k++) to[k] = from[rows[k]!]!;
}

/** The InstColumns of carved columns and their tables. */
export function assembled(
  c: Carved,
  strings: readonly string[],
  notes: readonly string[],
  wide: ReadonlyMap<number, number> | undefined,
  spans: ReadonlyMap<number, Span> | undefined,
): InstColumns {
  const [cycle, n, a, b, s0, s1, s2] = c.ints as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const { count, op, flags, t0, t1, fn, note } = c;
  return {
    ...{ count, op, flags, t0, t1, fn, cycle, n, a, b, s0, s1, s2, note, strings, notes },
    ...(wide ? { wide } : {}),
    ...(spans ? { spans } : {}),
  };
}

/** `ids` (indices into `table`, -1: none) renumbered in place by first use; returns the table in that order.
 * `scratch.to`: per old number its new one (-1 everywhere between calls: grown here, reset before returning). */
export function renumber(ids: Int32Array, table: readonly string[], scratch: { to: Int32Array }): string[] {
  if (scratch.to.length < table.length)
    scratch.to = new Int32Array(Math.max(table.length, 2 * scratch.to.length)).fill(-1);
  const to = scratch.to;
  const out: string[] = [];
  const met: number[] = [];
  for (let k = 0; k < ids.length; k++) {
    const old = ids[k]!;
    if (old < 0) continue;
    if (to[old] === -1) {
      to[old] = out.length;
      out.push(table[old]!);
      met.push(old);
    }
    ids[k] = to[old]!;
  }
  for (const old of met) to[old] = -1;
  return out;
}

/** The string cells of `c` (a sync's or notify's token in `a`, an sxm's map in `b`) renumbered in place by first
 * use; returns the table in that order. */
export function renumberStrings(c: Carved, table: readonly string[], scratch: { to: Int32Array }): string[] {
  const [a, b] = [c.ints[2]!, c.ints[3]!];
  const ids = new Int32Array(c.count).fill(-1);
  const inA = new Uint8Array(c.count);
  for (let k = 0; k < c.count; k++) {
    const o = OPCODES[c.op[k]!];
    if (o === "sync" || o === "notify") {
      ids[k] = a[k]!;
      inA[k] = 1;
    } else if (o === "sxm" && c.flags[k]! & F_B) ids[k] = b[k]!;
  }
  const out = renumber(ids, table, scratch);
  for (let k = 0; k < c.count; k++) if (ids[k]! >= 0) (inA[k] ? a : b)[k] = ids[k]!;
  return out;
}

/** Codes by name (a lookup per instruction: indexOf over the opcodes showed in the scheduler's profile). */
export const CODES = {
  op: codes(OPCODES),
  type: codes(TYPES),
  vunary: codes(UNARY_FNS),
  vbinary: codes(BINARY_FNS),
  sxm: codes(SXM_FNS),
};

function codes(list: readonly string[]): Map<string, number> {
  return new Map(list.map((v, k) => [v, k]));
}

export function opCode(op: Opcode): number {
  return code(CODES.op, op, "op");
}

export function typeCode(t: ElemType): number {
  return code(CODES.type, t, "element type");
}

export function code(table: ReadonlyMap<string, number>, v: string, what: string): number {
  const k = table.get(v);
  if (k === undefined) throw new Error(`internal error: '${v}' is not a known ${what}`);
  return k;
}
