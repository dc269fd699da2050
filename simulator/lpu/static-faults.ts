// Faults of one instruction visible without running it: unknown or misplaced ops, a bad issue cycle, streams or
// links out of range, types an op does not take, bad maps. In: the machine, the program, one row of a queue's
// columns (arch/columns.ts) and its queue. Out: the faults, in the order they are reported. prepare.ts checks every instruction this way when a
// program is constructed with its instructions checked; the fast path checks each one as it encodes it, so a large
// program is walked once.

import { unitOf } from "../../arch/asm/names.ts";
import {
  aOf,
  bOf,
  cycleOf,
  F_B,
  F_IMM,
  F_N,
  F_W0,
  FIELD_S0,
  nOf,
  OPCODES,
  SXM_FNS,
  TYPES,
  UNARY_FNS,
  wideValue,
} from "../../arch/columns.ts";
import {
  ELEM_BYTES,
  type ElemType,
  type InstColumns,
  type Instruction,
  type Program,
} from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import type { HazardName } from "./messages.ts";
import { FLOAT_ONLY_UNARY } from "./vxm-ops.ts";

/** The unit kind each opcode runs on (undefined: any queue). */
const UNIT_OF_OP = OPCODES.map((op) => unitOf({ op } as Instruction));

const MXM_IN: ReadonlySet<ElemType> = new Set(["int8", "uint8", "fp8", "fp16", "bf16"]);

type Fault = { name: HazardName; text: string };

function streamFault(
  m: Machine,
  what: string,
  c: InstColumns,
  slot: 0 | 1 | 2,
  k: number,
  bytes: number,
): Fault | undefined {
  const col = slot === 0 ? c.s0 : slot === 1 ? c.s1 : c.s2;
  const id = wideValue(c, FIELD_S0 + slot, k, col[k]!);
  if (!Number.isInteger(id) || id < 0 || id + bytes > m.streamsPerDirection) {
    const dir = c.flags[k]! & (F_W0 << slot) ? "w" : "e";
    const span = bytes > 1 ? `streams ${id}..${id + bytes - 1}` : `stream ${id}`;
    return {
      name: "address-range",
      text: `${what} ${span} (${dir}) is outside 0..${m.streamsPerDirection - 1}`,
    };
  }
  return undefined;
}

/** lw's width: whole, at most the machine's load width, and its stream groups within one direction's streams. */
function widthFault(m: Machine, c: InstColumns, k: number): Fault | undefined {
  const w = c.flags[k]! & F_B ? bOf(c, k) : 1;
  if (!Number.isInteger(w) || w < 1)
    return { name: "bad-instruction", text: `width must be a whole number >= 1, got ${w}` };
  if (w > m.mxm.maxLoadWidth)
    return {
      name: "bad-instruction",
      text: `width ${w} exceeds the ${m.mxm.maxLoadWidth} weight rows per cycle an MXM plane of ${m.name} loads (mxm_load_width)`,
    };
  const src = wideValue(c, FIELD_S0 + 1, k, c.s1[k]!);
  const last = src + w * ELEM_BYTES[TYPES[c.t0[k]!]!] - 1;
  if (last >= m.streamsPerDirection)
    return {
      name: "bad-instruction",
      text: `width ${w} reads streams ${src}..${last} (${c.flags[k]! & (F_W0 << 1) ? "w" : "e"}), beyond the ${m.streamsPerDirection} streams of a direction`,
    };
  return undefined;
}

function countFault(n: number): Fault | undefined {
  return Number.isInteger(n) && n >= 1
    ? undefined
    : { name: "bad-instruction", text: `n must be a whole number >= 1, got ${n}` };
}

/** A deskew's repeat: a whole count n >= 1 and, when it repeats, a whole period >= 1. */
function deskewFault(n: number | undefined, period: number | undefined): Fault | undefined {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1))
    return { name: "bad-instruction", text: `deskew n must be a whole number >= 1, got ${n}` };
  if (period !== undefined && !(Number.isInteger(period) && period >= 1))
    return { name: "bad-instruction", text: `deskew period must be a whole number >= 1, got ${period}` };
  if ((n ?? 1) > 1 && period === undefined)
    return { name: "bad-instruction", text: `deskew n=${n} repeats and needs a period` };
  return undefined;
}

/** Faults of row k of `c` visible without running it, reported in a fixed order (the first of a kind is kept). */
export function staticFaults(
  m: Machine,
  program: Program,
  c: InstColumns,
  k: number,
  report: (f: Fault | undefined) => void,
): void {
  // No closures here: this runs once per instruction (and tsx wraps every function it creates).
  const bytes = ELEM_BYTES;
  const op = OPCODES[c.op[k]!]!;
  const type = TYPES[c.t0[k]!]!;
  switch (op) {
    case "nop": {
      const cycles = nOf(c, k);
      if (!Number.isInteger(cycles) || cycles < 1)
        report({
          name: "bad-instruction",
          text: `nop takes a whole number of cycles >= 1, got ${cycles}`,
        });
      return;
    }
    case "sync":
    case "notify":
    case "iw":
      return;
    case "deskew":
      report(
        deskewFault(c.flags[k]! & F_N ? nOf(c, k) : undefined, c.flags[k]! & F_B ? bOf(c, k) : undefined),
      );
      return;
    case "read":
    case "write": {
      report(countFault(nOf(c, k)));
      report(streamFault(m, "stream", c, 0, k, 1));
      const stride = bOf(c, k);
      if (!Number.isInteger(stride))
        report({ name: "bad-instruction", text: `stride must be whole, got ${stride}` });
      return;
    }
    case "gather":
    case "scatter":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "stream", c, 0, k, 1));
      report(streamFault(m, "map", c, 1, k, 4));
      return;
    case "vunary": {
      const fn = UNARY_FNS[c.fn[k]!]!;
      report(countFault(nOf(c, k)));
      report(streamFault(m, "dst", c, 0, k, bytes[type]));
      report(streamFault(m, "src", c, 1, k, bytes[type]));
      if (FLOAT_ONLY_UNARY.has(fn) && (type === "int8" || type === "uint8" || type === "int32"))
        report({ name: "bad-instruction", text: `${fn} needs a float type, not ${type}` });
      return;
    }
    case "vbinary":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "dst", c, 0, k, bytes[type]));
      report(streamFault(m, "a", c, 1, k, bytes[type]));
      if (!(c.flags[k]! & F_IMM)) report(streamFault(m, "b", c, 2, k, bytes[type]));
      return;
    case "convert":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "dst", c, 0, k, bytes[TYPES[c.t1[k]!]!]));
      report(streamFault(m, "src", c, 1, k, bytes[type]));
      return;
    case "vaccum":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "dst", c, 0, k, 4));
      report(streamFault(m, "src", c, 1, k, bytes[type]));
      return;
    case "lw":
    case "abc":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "src", c, 1, k, bytes[type]));
      if (!MXM_IN.has(type))
        report({
          name: "mxm-type",
          text: `the MXM takes int8, uint8, fp8, fp16 or bf16, not ${type}`,
        });
      if (op === "lw") report(widthFault(m, c, k));
      return;
    case "acc":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "dst", c, 0, k, 4));
      if (type !== "fp32" && type !== "int32")
        report({ name: "mxm-type", text: `acc drains fp32 or int32, not ${type}` });
      return;
    case "sxm": {
      const fn = SXM_FNS[c.fn[k]!]!;
      const n = nOf(c, k);
      report(countFault(n));
      report(streamFault(m, "dst", c, 0, k, bytes[type]));
      report(streamFault(m, "src", c, 1, k, bytes[type]));
      const amount = aOf(c, k);
      if ((fn === "shift" || fn === "rotate") && !Number.isInteger(amount))
        report({ name: "bad-instruction", text: `${fn} amount must be whole, got ${amount}` });
      if (fn === "transpose" && n % 16 !== 0)
        report({
          name: "bad-instruction",
          text: `transpose streams groups of 16 vectors: n = ${n} is not a multiple of 16`,
        });
      if (fn === "permute" || fn === "distribute")
        report(mapFault(m, program, fn, c.flags[k]! & F_B ? c.strings[bOf(c, k)] : undefined));
      return;
    }
    case "send":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "src", c, 1, k, bytes[type]));
      return;
    case "recv":
      report(countFault(nOf(c, k)));
      report(streamFault(m, "dst", c, 0, k, bytes[type]));
      return;
  }
}

function mapFault(
  m: Machine,
  program: Program,
  fn: "permute" | "distribute",
  name: string | undefined,
): Fault | undefined {
  if (name === undefined) return { name: "bad-map", text: `${fn} needs a map` };
  const map = Object.hasOwn(program.maps, name) ? program.maps[name] : undefined;
  if (!map) return { name: "bad-map", text: `no map named '${name}'` };
  if (map.length !== m.lanes)
    return { name: "bad-map", text: `map '${name}' has ${map.length} entries, not ${m.lanes}` };
  const seen = new Uint8Array(m.lanes);
  for (let l = 0; l < map.length; l++) {
    const src = map[l]!;
    if (!Number.isInteger(src) || src < 0 || src >= m.lanes)
      return {
        name: "bad-map",
        text: `map '${name}' lane ${l} names lane ${src}, outside 0..${m.lanes - 1}`,
      };
    if (fn === "distribute" && Math.floor(src / 16) !== Math.floor(l / 16))
      return {
        name: "bad-map",
        text: `distribute map '${name}' sends lane ${src} to lane ${l}, outside its superlane`,
      };
    if (fn === "permute" && seen[src]++)
      return { name: "bad-map", text: `permute map '${name}' is not a bijection: lane ${src} is used twice` };
  }
  return undefined;
}

/** The queue facts an instruction's check needs. */
export interface CheckedQueue {
  readonly chip: number;
  readonly kind: string;
  readonly name: string;
  readonly index: number;
  /** Whether the queue's link is wired (only c2c queues use it). */
  readonly wired: boolean;
}

/**
 * Checks instructions one at a time, pushing their faults to `faults`. One object (and one `report` closure) per
 * pass, not per instruction.
 */
export class InstructionCheck {
  readonly faults: Hazard[] = [];
  private current = 0;
  private currentChip = 0;
  private readonly report = (f: Fault | undefined): void => {
    if (f)
      this.faults.push({
        name: f.name,
        chip: this.currentChip,
        inst: this.record(this.current),
        args: [f.text],
      });
  };

  constructor(
    private readonly m: Machine,
    private readonly program: Program,
    private readonly record: (id: number) => InstRecord,
  ) {}

  /** Checks instruction `id`, row k of `c` on queue q, its issue cycle `shift` later (a copy's); its faults, if any,
   * are appended to `faults`. */
  check(q: CheckedQueue, id: number, c: InstColumns, k: number, shift = 0): void {
    const given = cycleOf(c, k);
    const cycle = given === undefined ? undefined : given + shift;
    if (cycle !== undefined && (!Number.isInteger(cycle) || cycle < 0))
      this.faults.push({
        name: "bad-instruction",
        chip: q.chip,
        inst: this.record(id),
        args: [`issue cycle must be a whole number >= 0, got ${cycle}`],
      });
    const op = OPCODES[c.op[k]!]!;
    const wants = UNIT_OF_OP[c.op[k]!];
    if (wants !== undefined && wants !== q.kind) {
      this.faults.push({
        name: "bad-instruction",
        chip: q.chip,
        inst: this.record(id),
        args: [`'${op}' runs on a ${wants} queue, not ${q.name}`],
      });
      return;
    }
    if ((op === "send" || op === "recv") && !q.wired)
      this.faults.push({ name: "unwired-link", chip: q.chip, inst: this.record(id), args: [q.index] });
    this.current = id;
    this.currentChip = q.chip;
    staticFaults(this.m, this.program, c, k, this.report);
  }
}
