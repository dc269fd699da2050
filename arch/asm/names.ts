// The spellings shared by the assembler, the printer and the JSON form: streams (`s3e`), queues (`mem3`), element
// types, instruction mnemonics. One table, so the three spellings of a program cannot drift apart.

import { BINARY_FNS, SXM_FNS, UNARY_FNS } from "../columns.ts";
import type {
  Direction,
  ElemType,
  Instruction,
  QueueRef,
  StreamRef,
  SxmOp,
  UnitKind,
  VxmBinaryOp,
  VxmUnaryOp,
} from "../isa.ts";
import { ELEM_BYTES } from "../isa.ts";

export const ELEM_TYPES = Object.keys(ELEM_BYTES) as ElemType[];
export const UNIT_KINDS: readonly UnitKind[] = ["mem", "vxm", "mxm", "sxm", "c2c"];
// The function spellings are the column codes' tables (arch/columns.ts), in code order: one list of each.
export const VXM_UNARY: readonly VxmUnaryOp[] = UNARY_FNS;
export const VXM_BINARY: readonly VxmBinaryOp[] = BINARY_FNS;
export const SXM_OPS: readonly SxmOp[] = SXM_FNS;
/** Types the MXM multiplies (activations and weights). */
export const MXM_IN_TYPES: readonly ElemType[] = ["int8", "uint8", "fp8", "fp16", "bf16"];
/** Types the MXM accumulates in. */
export const MXM_ACC_TYPES: readonly ElemType[] = ["fp32", "int32"];

/** Every mnemonic as written in assembly (the part before the first '.'). */
export const MNEMONICS: readonly string[] = [
  "nop",
  "sync",
  "notify",
  "deskew",
  "read",
  "write",
  "gather",
  "scatter",
  ...VXM_UNARY,
  ...VXM_BINARY,
  "convert",
  "accum",
  "lw",
  "iw",
  "abc",
  "acc",
  ...SXM_OPS,
  "send",
  "recv",
];

export function isElemType(s: string): s is ElemType {
  return Object.hasOwn(ELEM_BYTES, s);
}

export function streamName(s: StreamRef): string {
  return `s${s.id}${s.dir}`;
}

export function parseStreamName(text: string): StreamRef | undefined {
  const m = /^s(\d{1,9})([ew])$/.exec(text);
  return m ? { id: Number(m[1]), dir: m[2] as Direction } : undefined;
}

export function queueName(q: QueueRef): string {
  return `${q.kind}${q.index}`;
}

export function parseQueueName(text: string): QueueRef | undefined {
  const m = /^(mem|vxm|mxm|sxm|c2c)(\d{1,9})$/.exec(text);
  return m ? { kind: m[1] as UnitKind, index: Number(m[2]) } : undefined;
}

/** The mnemonic an instruction is written with (`add` for a vbinary add, `lw` for lw). */
export function mnemonicOf(inst: Instruction): string {
  switch (inst.op) {
    case "vunary":
    case "vbinary":
    case "sxm":
      return inst.fn;
    case "vaccum":
      return "accum";
    default:
      return inst.op;
  }
}

/** Numbers as the lexer reads them back exactly: shortest round-trip form, with -0, inf and nan spelled out. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (Object.is(x, -0)) return "-0";
  return String(x);
}

export function parseNumberText(text: string): number {
  if (text === "nan") return Number.NaN;
  if (text === "inf") return Number.POSITIVE_INFINITY;
  if (text === "-inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A name as written: bare when the lexer reads it back as one identifier, otherwise a JSON-quoted string. */
export function formatName(name: string): string {
  return IDENT.test(name) && name !== "inf" && name !== "nan" && !/^(inf|nan)[A-Za-z0-9_.-]/.test(name)
    ? name
    : JSON.stringify(name);
}

/** The unit kind whose queue runs an instruction; undefined for ICU instructions, which run in any queue. */
export function unitOf(inst: Instruction): UnitKind | undefined {
  switch (inst.op) {
    case "nop":
    case "sync":
    case "notify":
    case "deskew":
      return undefined;
    case "read":
    case "write":
    case "gather":
    case "scatter":
      return "mem";
    case "vunary":
    case "vbinary":
    case "convert":
    case "vaccum":
      return "vxm";
    case "lw":
    case "iw":
    case "abc":
    case "acc":
      return "mxm";
    case "sxm":
      return "sxm";
    case "send":
    case "recv":
      return "c2c";
  }
}
