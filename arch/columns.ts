// A queue's instructions as typed-array columns (InstColumns, arch/isa.ts), read: the codes of opcodes, types and
// functions, the flag bits, each field of a row as a number, a row as an Instruction or Placed object again (for
// printers, reports and tests), a copy with its issue cycles shifted. columns-build.ts writes them. Guarantee: every
// number comes back as it was written (an Int32 cell holds what fits; anything else sits in the sparse `wide` table).
import type {
  ElemType,
  InstColumns,
  Instruction,
  Opcode,
  Placed,
  StreamRef,
  SxmOp,
  VxmBinaryOp,
  VxmUnaryOp,
} from "./isa.ts";

/** Opcodes by code (the simulator's code.ts OP_* numbers are these indices). */
export const OPCODES: readonly Opcode[] = [
  "nop",
  "sync",
  "notify",
  "deskew",
  "read",
  "write",
  "gather",
  "scatter",
  "vunary",
  "vbinary",
  "convert",
  "vaccum",
  "lw",
  "iw",
  "abc",
  "acc",
  "sxm",
  "send",
  "recv",
];
/** Element types by code. */
export const TYPES: readonly ElemType[] = ["int8", "uint8", "fp8", "fp16", "bf16", "fp32", "int32"];
/** Function codes of vunary, vbinary and sxm. */
export const UNARY_FNS: readonly VxmUnaryOp[] = [
  "copy",
  "neg",
  "abs",
  "relu",
  "tanh",
  "exp",
  "rsqrt",
  "recip",
];
export const BINARY_FNS: readonly VxmBinaryOp[] = ["add", "sub", "mul", "max", "min"];
export const SXM_FNS: readonly SxmOp[] = ["shift", "rotate", "permute", "distribute", "transpose"];

/** `flags` bits. F_CYCLE: the row has an issue cycle. F_N: a deskew's n is given. F_B: a deskew's period, an lw's
 * width or an sxm's map is given (in `b`). F_IMM: a vbinary's b is the immediate in `a`. F_ACC: abc accumulates.
 * F_W0 << k: stream k flows west. */
export const F_CYCLE = 1;
export const F_N = 2;
export const F_B = 4;
export const F_IMM = 8;
export const F_ACC = 16;
export const F_W0 = 32;

/** The value of an Int32 cell whose number is in `wide` (it does not fit, or is this value itself). */
export const WIDE = -2147483648;
/** Field numbers of the Int32 columns, for `wide` keys (row * 8 + field). */
export const FIELD_CYCLE = 0;
export const FIELD_N = 1;
export const FIELD_A = 2;
export const FIELD_B = 3;
export const FIELD_S0 = 4;

/** The number in an Int32 column's cell. */
export function wideValue(c: InstColumns, field: number, row: number, cell: number): number {
  return cell !== WIDE ? cell : c.wide!.get(row * 8 + field)!;
}

export function cycleOf(c: InstColumns, k: number): number | undefined {
  return c.flags[k]! & F_CYCLE ? wideValue(c, FIELD_CYCLE, k, c.cycle[k]!) : undefined;
}
export const nOf = (c: InstColumns, k: number): number => wideValue(c, FIELD_N, k, c.n[k]!);
export const aOf = (c: InstColumns, k: number): number => wideValue(c, FIELD_A, k, c.a[k]!);
export const bOf = (c: InstColumns, k: number): number => wideValue(c, FIELD_B, k, c.b[k]!);

/** Stream k (0, 1, 2: the columns s0, s1, s2) of row `row`. */
export function streamOf(c: InstColumns, k: 0 | 1 | 2, row: number): StreamRef {
  const col = k === 0 ? c.s0 : k === 1 ? c.s1 : c.s2;
  return { id: wideValue(c, FIELD_S0 + k, row, col[row]!), dir: c.flags[row]! & (F_W0 << k) ? "w" : "e" };
}

/** The instruction of row k, as an object (for printers, reports and tests; the simulator reads the columns). */
export function instructionAt(c: InstColumns, k: number): Instruction {
  const op = OPCODES[c.op[k]!]!;
  const flags = c.flags[k]!;
  const type = TYPES[c.t0[k]!]!;
  switch (op) {
    case "nop":
      return { op, cycles: nOf(c, k) };
    case "sync":
    case "notify":
      return { op, token: c.strings[aOf(c, k)]! };
    case "deskew":
      return {
        op,
        ...(flags & F_N ? { n: nOf(c, k) } : {}),
        ...(flags & F_B ? { period: bOf(c, k) } : {}),
      };
    case "read":
    case "write":
      return { op, addr: aOf(c, k), stream: streamOf(c, 0, k), n: nOf(c, k), stride: bOf(c, k) };
    case "gather":
    case "scatter":
      return { op, base: aOf(c, k), stream: streamOf(c, 0, k), map: streamOf(c, 1, k), n: nOf(c, k) };
    case "vunary":
      return {
        op,
        fn: UNARY_FNS[c.fn[k]!]!,
        type,
        dst: streamOf(c, 0, k),
        src: streamOf(c, 1, k),
        n: nOf(c, k),
      };
    case "vbinary":
      return {
        op,
        fn: BINARY_FNS[c.fn[k]!]!,
        type,
        dst: streamOf(c, 0, k),
        a: streamOf(c, 1, k),
        b: flags & F_IMM ? aOf(c, k) : streamOf(c, 2, k),
        n: nOf(c, k),
      };
    case "convert":
      return {
        op,
        from: type,
        to: TYPES[c.t1[k]!]!,
        dst: streamOf(c, 0, k),
        src: streamOf(c, 1, k),
        n: nOf(c, k),
      };
    case "vaccum":
      return { op, type, dst: streamOf(c, 0, k), src: streamOf(c, 1, k), n: nOf(c, k) };
    case "lw":
      return {
        op,
        type,
        src: streamOf(c, 1, k),
        n: nOf(c, k),
        row0: aOf(c, k),
        ...(flags & F_B ? { width: bOf(c, k) } : {}),
      };
    case "iw":
      return { op };
    case "abc":
      return {
        op,
        type,
        src: streamOf(c, 1, k),
        n: nOf(c, k),
        row0: aOf(c, k),
        accumulate: (flags & F_ACC) !== 0,
      };
    case "acc":
      return { op, type, dst: streamOf(c, 0, k), n: nOf(c, k), row0: aOf(c, k) };
    case "sxm":
      return {
        op,
        fn: SXM_FNS[c.fn[k]!]!,
        type,
        dst: streamOf(c, 0, k),
        src: streamOf(c, 1, k),
        n: nOf(c, k),
        amount: aOf(c, k),
        ...(flags & F_B ? { map: c.strings[bOf(c, k)]! } : {}),
      };
    case "send":
      return { op, type, src: streamOf(c, 1, k), n: nOf(c, k) };
    case "recv":
      return { op, type, dst: streamOf(c, 0, k), n: nOf(c, k) };
  }
}

/** Row k as a Placed (a new object each call). `shift` is added to its issue cycle (a copy's, arch/copies.ts). */
export function placedAt(c: InstColumns, k: number, shift = 0): Placed {
  const cycle = cycleOf(c, k);
  const note = c.note[k]!;
  const span = c.spans?.get(k);
  return {
    inst: instructionAt(c, k),
    ...(cycle !== undefined ? { cycle: shift === 0 ? cycle : cycle + shift } : {}),
    ...(span ? { span } : {}),
    ...(note >= 0 ? { note: c.notes[note]! } : {}),
  };
}

/** The columns with `shift` added to every issue cycle (a stamped copy written out); shares everything else. */
export function shiftedColumns(c: InstColumns, shift: number): InstColumns {
  if (shift === 0) return c;
  const cycle = new Int32Array(c.count);
  let wide: Map<number, number> | undefined;
  for (let k = 0; k < c.count; k++) {
    if (!(c.flags[k]! & F_CYCLE)) continue;
    const v = wideValue(c, FIELD_CYCLE, k, c.cycle[k]!) + shift;
    if ((v | 0) === v && v !== WIDE) cycle[k] = v;
    else {
      cycle[k] = WIDE;
      wide ??= new Map([...(c.wide ?? [])].filter(([key]) => key % 8 !== FIELD_CYCLE));
      wide.set(k * 8 + FIELD_CYCLE, v);
    }
  }
  if (!wide && c.wide) wide = new Map([...c.wide].filter(([key]) => key % 8 !== FIELD_CYCLE));
  const { wide: _, ...rest } = c;
  return { ...rest, cycle, ...(wide && wide.size > 0 ? { wide } : {}) };
}
