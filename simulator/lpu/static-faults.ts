// Faults of one instruction visible without running it: unknown or misplaced ops, a bad issue cycle, streams or
// links out of range, types an op does not take, bad maps. In: the machine, the program, one placed instruction and
// its queue. Out: the faults, in the order they are reported. prepare.ts checks every instruction this way when a
// program is constructed with its instructions checked; the fast path checks each one as it encodes it, so a large
// program is walked once.

import { unitOf } from "../../arch/asm/names.ts";
import {
  ELEM_BYTES,
  type ElemType,
  type Instruction,
  type Placed,
  type Program,
  type StreamRef,
} from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import type { HazardName } from "./messages.ts";
import { FLOAT_ONLY_UNARY } from "./vxm-ops.ts";

const MXM_IN: ReadonlySet<ElemType> = new Set(["int8", "uint8", "fp8", "fp16", "bf16"]);

type Fault = { name: HazardName; text: string };

function streamFault(m: Machine, what: string, s: StreamRef, bytes: number): Fault | undefined {
  if (
    !Number.isInteger(s.id) ||
    s.id < 0 ||
    s.id + bytes > m.streamsPerDirection ||
    (s.dir !== "e" && s.dir !== "w")
  ) {
    const span = bytes > 1 ? `streams ${s.id}..${s.id + bytes - 1}` : `stream ${s.id}`;
    return {
      name: "address-range",
      text: `${what} ${span} (${s.dir}) is outside 0..${m.streamsPerDirection - 1}`,
    };
  }
  return undefined;
}

/** lw's width: whole, at most the machine's load width, and its stream groups within one direction's streams. */
function widthFault(m: Machine, inst: Extract<Instruction, { op: "lw" }>): Fault | undefined {
  const w = inst.width ?? 1;
  if (!Number.isInteger(w) || w < 1)
    return { name: "bad-instruction", text: `width must be a whole number >= 1, got ${w}` };
  if (w > m.mxm.maxLoadWidth)
    return {
      name: "bad-instruction",
      text: `width ${w} exceeds the ${m.mxm.maxLoadWidth} weight rows per cycle an MXM plane of ${m.name} loads (mxm_load_width)`,
    };
  const last = inst.src.id + w * ELEM_BYTES[inst.type] - 1;
  if (last >= m.streamsPerDirection)
    return {
      name: "bad-instruction",
      text: `width ${w} reads streams ${inst.src.id}..${last} (${inst.src.dir}), beyond the ${m.streamsPerDirection} streams of a direction`,
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

/** Faults of one instruction visible without running it, reported in a fixed order (the first of a kind is kept). */
export function staticFaults(
  m: Machine,
  program: Program,
  inst: Instruction,
  report: (f: Fault | undefined) => void,
): void {
  // No closures here: this runs once per instruction (and tsx wraps every function it creates).
  const bytes = ELEM_BYTES;
  switch (inst.op) {
    case "nop":
      if (!Number.isInteger(inst.cycles) || inst.cycles < 1)
        report({
          name: "bad-instruction",
          text: `nop takes a whole number of cycles >= 1, got ${inst.cycles}`,
        });
      return;
    case "sync":
    case "notify":
    case "iw":
      return;
    case "deskew":
      report(deskewFault(inst.n, inst.period));
      return;
    case "read":
    case "write":
      report(countFault(inst.n));
      report(streamFault(m, "stream", inst.stream, 1));
      if (!Number.isInteger(inst.stride))
        report({ name: "bad-instruction", text: `stride must be whole, got ${inst.stride}` });
      return;
    case "gather":
    case "scatter":
      report(countFault(inst.n));
      report(streamFault(m, "stream", inst.stream, 1));
      report(streamFault(m, "map", inst.map, 4));
      return;
    case "vunary":
      report(countFault(inst.n));
      report(streamFault(m, "dst", inst.dst, bytes[inst.type]));
      report(streamFault(m, "src", inst.src, bytes[inst.type]));
      if (
        FLOAT_ONLY_UNARY.has(inst.fn) &&
        (inst.type === "int8" || inst.type === "uint8" || inst.type === "int32")
      )
        report({ name: "bad-instruction", text: `${inst.fn} needs a float type, not ${inst.type}` });
      return;
    case "vbinary":
      report(countFault(inst.n));
      report(streamFault(m, "dst", inst.dst, bytes[inst.type]));
      report(streamFault(m, "a", inst.a, bytes[inst.type]));
      if (typeof inst.b !== "number") report(streamFault(m, "b", inst.b, bytes[inst.type]));
      return;
    case "convert":
      report(countFault(inst.n));
      report(streamFault(m, "dst", inst.dst, bytes[inst.to]));
      report(streamFault(m, "src", inst.src, bytes[inst.from]));
      return;
    case "vaccum":
      report(countFault(inst.n));
      report(streamFault(m, "dst", inst.dst, 4));
      report(streamFault(m, "src", inst.src, bytes[inst.type]));
      return;
    case "lw":
    case "abc":
      report(countFault(inst.n));
      report(streamFault(m, "src", inst.src, bytes[inst.type]));
      if (!MXM_IN.has(inst.type))
        report({
          name: "mxm-type",
          text: `the MXM takes int8, uint8, fp8, fp16 or bf16, not ${inst.type}`,
        });
      if (inst.op === "lw") report(widthFault(m, inst));
      return;
    case "acc":
      report(countFault(inst.n));
      report(streamFault(m, "dst", inst.dst, 4));
      if (inst.type !== "fp32" && inst.type !== "int32")
        report({ name: "mxm-type", text: `acc drains fp32 or int32, not ${inst.type}` });
      return;
    case "sxm":
      report(countFault(inst.n));
      report(streamFault(m, "dst", inst.dst, bytes[inst.type]));
      report(streamFault(m, "src", inst.src, bytes[inst.type]));
      if ((inst.fn === "shift" || inst.fn === "rotate") && !Number.isInteger(inst.amount))
        report({ name: "bad-instruction", text: `${inst.fn} amount must be whole, got ${inst.amount}` });
      if (inst.fn === "transpose" && inst.n % 16 !== 0)
        report({
          name: "bad-instruction",
          text: `transpose streams groups of 16 vectors: n = ${inst.n} is not a multiple of 16`,
        });
      if (inst.fn === "permute" || inst.fn === "distribute") report(mapFault(m, program, inst.fn, inst.map));
      return;
    case "send":
    case "recv": {
      const ref = inst.op === "send" ? inst.src : inst.dst;
      report(countFault(inst.n));
      report(streamFault(m, inst.op === "send" ? "src" : "dst", ref, bytes[inst.type]));
      return;
    }
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

  /** Checks instruction `id` (placed on queue q, its issue cycle `shift` later: a copy's); its faults, if any, are
   * appended to `faults`. */
  check(q: CheckedQueue, id: number, placed: Placed, shift = 0): void {
    const cycle = placed.cycle === undefined ? undefined : placed.cycle + shift;
    if (cycle !== undefined && (!Number.isInteger(cycle) || cycle < 0))
      this.faults.push({
        name: "bad-instruction",
        chip: q.chip,
        inst: this.record(id),
        args: [`issue cycle must be a whole number >= 0, got ${cycle}`],
      });
    const inst = placed.inst;
    const op = inst.op;
    const wants = unitOf(inst);
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
    staticFaults(this.m, this.program, inst, this.report);
  }
}
