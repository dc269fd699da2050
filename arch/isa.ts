// The LPU instruction set as data: the only hand-off between the compiler and the simulator. A program is a set of
// chips, each a set of in-order instruction queues (one per functional unit or slice), each instruction with the
// cycle it issues at. The assembly text (*.lasm) and the JSON form are two spellings of this one structure.
// Contract: a Program says everything the simulator needs (initial SRAM contents, instructions, what to report);
// the simulator trusts none of it and checks every rule in docs/isa.md.
import type { Span } from "../util/diagnostics.ts";

/** Element types a stream or SRAM region can hold. A vector of type T is 320 lanes x bytes(T) and spans bytes(T)
 * consecutive streams (byte planes, little-endian: stream s holds byte 0). */
export type ElemType = "int8" | "uint8" | "fp8" | "fp16" | "bf16" | "fp32" | "int32";

export const ELEM_BYTES: Readonly<Record<ElemType, number>> = {
  int8: 1,
  uint8: 1,
  fp8: 1,
  fp16: 2,
  bf16: 2,
  fp32: 4,
  int32: 4,
};

export type Direction = "e" | "w";

/** A stream group: streams `id .. id + bytes(type) - 1` flowing in one direction. Written `s4e` in assembly. */
export interface StreamRef {
  readonly id: number;
  readonly dir: Direction;
}

/** Unit kinds; a queue is named kind + index: mem0..mem87, vxm0..vxm15, mxm0..mxm3, sxm0..sxm1, c2c0..c2c15. */
export type UnitKind = "mem" | "vxm" | "mxm" | "sxm" | "c2c";

export interface QueueRef {
  readonly kind: UnitKind;
  readonly index: number;
}

/** VXM pointwise operations (ISCA20 table I: pointwise arithmetic, conversions, ReLU, TanH, Exp, RSqrt). */
export type VxmUnaryOp = "copy" | "neg" | "abs" | "relu" | "tanh" | "exp" | "rsqrt" | "recip";
export type VxmBinaryOp = "add" | "sub" | "mul" | "max" | "min";

/** SXM lane movement (ISCA20 table I). */
export type SxmOp = "shift" | "rotate" | "permute" | "distribute" | "transpose";

/** Cycles a deskew occupies its queue: from its first repetition to its last, `(n - 1) * period + 1`. */
export function deskewSlots(inst: { readonly n?: number; readonly period?: number }): number {
  const n = inst.n ?? 1;
  return n > 1 ? (n - 1) * (inst.period ?? 1) + 1 : 1;
}

/**
 * One instruction. `cycle` is the issue cycle in the chip's local time; when absent, the instruction issues as soon
 * as its queue is free (after the previous instruction's issue slots), as the real in-order queues do.
 * `n` is the number of vectors the instruction streams, one per cycle (the ISA's Repeat folded into the
 * instruction so a large program stays compact); `stride` steps the SRAM address between vectors.
 */
export type Instruction =
  // ICU-level control, valid in any queue.
  | { readonly op: "nop"; readonly cycles: number }
  | { readonly op: "sync"; readonly token: string }
  | { readonly op: "notify"; readonly token: string }
  // `deskew` aligns the chip to the next epoch boundary after its cycle; with `n` (absent means 1) it repeats: n
  // deskews at t, t + period, ..., t + (n - 1) * period (the ISA's `Repeat n, d` folded into the instruction), and
  // occupies its queue for the whole span. `period` (>= 1) is required when n > 1.
  | { readonly op: "deskew"; readonly n?: number; readonly period?: number }
  // MEM: one 320-byte word per cycle between a slice and a stream (byte-agnostic; multi-byte data is laid out by
  // the compiler as byte planes in several slices).
  | {
      readonly op: "read";
      readonly addr: number;
      readonly stream: StreamRef;
      readonly n: number;
      readonly stride: number;
    }
  | {
      readonly op: "write";
      readonly addr: number;
      readonly stream: StreamRef;
      readonly n: number;
      readonly stride: number;
    }
  // Gather: each cycle, lane l of the output word is byte l of the word at `base + index`, where index is the
  // int32 in lane 0 of the map stream group (4 streams from `map`); used for embedding lookups.
  | {
      readonly op: "gather";
      readonly base: number;
      readonly stream: StreamRef;
      readonly map: StreamRef;
      readonly n: number;
    }
  | {
      readonly op: "scatter";
      readonly base: number;
      readonly stream: StreamRef;
      readonly map: StreamRef;
      readonly n: number;
    }
  // VXM: lane-wise on typed vectors; `imm` replaces the second operand with a broadcast scalar.
  | {
      readonly op: "vunary";
      readonly fn: VxmUnaryOp;
      readonly type: ElemType;
      readonly dst: StreamRef;
      readonly src: StreamRef;
      readonly n: number;
    }
  | {
      readonly op: "vbinary";
      readonly fn: VxmBinaryOp;
      readonly type: ElemType;
      readonly dst: StreamRef;
      readonly a: StreamRef;
      readonly b: StreamRef | number;
      readonly n: number;
    }
  | {
      readonly op: "convert";
      readonly from: ElemType;
      readonly to: ElemType;
      readonly dst: StreamRef;
      readonly src: StreamRef;
      readonly n: number;
    }
  // Lane-wise sum of n input vectors (accumulated in fp32/int32), one result vector after the last.
  | {
      readonly op: "vaccum";
      readonly type: ElemType;
      readonly dst: StreamRef;
      readonly src: StreamRef;
      readonly n: number;
    }
  // MXM (per plane): LW loads n weight rows from a stream group into the staging buffer; IW installs the staged
  // tile into the array; ABC streams n activation vectors through the installed tile into accumulator rows
  // row0.. (accumulate=true adds to them); ACC emits n accumulator rows (fp32 or int32) onto a stream group.
  | {
      readonly op: "lw";
      readonly type: ElemType;
      readonly src: StreamRef;
      readonly n: number;
      readonly row0: number;
      /** Stream groups read per cycle (absent means 1): groups src.id, src.id + bytes(type), ... load rows
       * row0 + i*width + j (j < width) in cycle t + i, so n rows take ceil(n / width) cycles. At most
       * machine.mxm.maxLoadWidth. */
      readonly width?: number;
    }
  | { readonly op: "iw" }
  | {
      readonly op: "abc";
      readonly type: ElemType;
      readonly src: StreamRef;
      readonly n: number;
      readonly row0: number;
      readonly accumulate: boolean;
    }
  | {
      readonly op: "acc";
      readonly type: ElemType;
      readonly dst: StreamRef;
      readonly n: number;
      readonly row0: number;
    }
  // SXM: `amount` is the lane shift/rotation, `map` names a permutation in the program's `maps`.
  | {
      readonly op: "sxm";
      readonly fn: SxmOp;
      readonly type: ElemType;
      readonly dst: StreamRef;
      readonly src: StreamRef;
      readonly n: number;
      readonly amount: number;
      readonly map?: string;
    }
  // C2C: Send streams n vectors (each `bytes(type)` words) from a stream group onto the queue's link; Receive puts
  // the next n vectors that arrived on the link onto a stream group.
  | { readonly op: "send"; readonly type: ElemType; readonly src: StreamRef; readonly n: number }
  | { readonly op: "recv"; readonly type: ElemType; readonly dst: StreamRef; readonly n: number };

export type Opcode = Instruction["op"];

/** An instruction as placed in a queue, with where it came from (for reports that name the assembly line). */
export interface Placed {
  readonly inst: Instruction;
  readonly cycle?: number;
  readonly span?: Span;
  /** Free-text comment carried from the compiler (the graph node it implements), printed after `;`. */
  readonly note?: string;
}

/**
 * One queue's instructions as typed-array columns, one row per instruction (arch/columns.ts builds and reads them):
 * what the compiler and the JSON reader hand over, so a program of millions of instructions is a few buffers per
 * queue rather than two objects per instruction. Int32 cells hold every number that fits; a cell equal to WIDE
 * (-2**31) has its number in `wide` under `row * 8 + field` (field: 0 cycle, 1 n, 2 a, 3 b, 4-6 s0-s2).
 * Fields by op: `n` the vectors (nop: its cycles; deskew: its n, flag F_N); `a` addr, base, row0 (lw, abc, acc), an
 * sxm's amount, a vbinary's immediate b (flag F_IMM), a sync's or notify's token (index in `strings`); `b` stride,
 * lw width / deskew period / sxm map (index in `strings`) when flag F_B; `s0` stream or dst, `s1` src, a (vbinary)
 * or map (gather, scatter), `s2` a vbinary's b, each `id` with its direction a flag bit; `t0` the type (convert's
 * from), `t1` convert's to; `fn` the function's index (columns.ts UNARY_FNS, BINARY_FNS, SXM_FNS).
 */
export interface InstColumns {
  readonly count: number;
  /** Opcode: index in columns.ts OPCODES. */
  readonly op: Uint8Array;
  /** columns.ts F_* bits: issue cycle given, optional fields given, accumulate, stream directions. */
  readonly flags: Uint8Array;
  readonly cycle: Int32Array;
  readonly n: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly s0: Int32Array;
  readonly s1: Int32Array;
  readonly s2: Int32Array;
  readonly t0: Uint8Array;
  readonly t1: Uint8Array;
  readonly fn: Uint8Array;
  /** Index in `notes`, or -1. */
  readonly note: Int32Array;
  /** Sync tokens and lane map names the rows name. */
  readonly strings: readonly string[];
  readonly notes: readonly string[];
  /** Numbers an Int32 cell cannot hold, by `row * 8 + field`. */
  readonly wide?: ReadonlyMap<number, number>;
  /** Assembly spans, by row (only rows that have one). */
  readonly spans?: ReadonlyMap<number, Span>;
}

export interface QueueProgram {
  readonly queue: QueueRef;
  /** The instructions as objects. A queue written by hand (a test, assemble.ts) gives only these; a queue built
   * from `columns` (columns.ts columnQueue) builds them on first read. */
  readonly instructions: readonly Placed[];
  /** The instructions as columns: what the compiler and the JSON reader give; the simulator reads only columns
   * (columns.ts columnsOf converts a queue given as objects). */
  readonly columns?: InstColumns;
}

/** Initial contents of consecutive SRAM words of one slice: raw bytes, 320 per word. */
export interface DataInit {
  readonly slice: number;
  readonly addr: number;
  readonly bytes: Uint8Array;
  readonly label?: string;
}

/** A region the run reports (values and checksum): `words` consecutive words of one slice read as `type` planes. */
export interface OutputRegion {
  readonly name: string;
  readonly type: ElemType;
  /** One slice per byte plane, low byte first. */
  readonly slices: readonly number[];
  readonly addr: number;
  readonly words: number;
}

/** A link between two chips: link `link` of chip `a` is wired to link `peerLink` of chip `b` (both directions). */
export interface LinkWire {
  readonly a: number;
  readonly link: number;
  readonly b: number;
  readonly peerLink: number;
}

export interface ChipProgram {
  readonly chip: number;
  /** This chip runs every queue of chip `chip` with each issue cycle `shift` later, except the queues it lists
   * itself, which replace those of the same name (a stamped copy of a repeated block, arch/copies.ts). Chip `chip`
   * has no `copyOf` of its own. Data and outputs are this chip's own. */
  readonly copyOf?: { readonly chip: number; readonly shift: number };
  readonly queues: readonly QueueProgram[];
  readonly data: readonly DataInit[];
  readonly outputs: readonly OutputRegion[];
}

export interface Program {
  /** The preset the program was written or compiled for ("tsp-v1"); the simulator may be run on another. */
  readonly arch: string;
  readonly chips: readonly ChipProgram[];
  readonly wires: readonly LinkWire[];
  /** Named lane permutations for SXM permute/distribute: 320 source-lane indices each. */
  readonly maps: Readonly<Record<string, readonly number[]>>;
}
