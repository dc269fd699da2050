// Checks a program against a machine before it runs, and numbers its instructions. In: Program, Machine. Out: per
// chip the queues (with slice positions) and instruction records, the link wiring, and every fault that can be
// seen without running (unknown queues, streams or links out of range, types an op does not take, bad maps, data
// beyond a slice). A program with such faults is not run: the simulator trusts nothing it was given. Encoding the
// instructions into the typed arrays the simulator runs (code.ts) is left to whoever runs them: the exact engine
// encodes the whole program, the fast path one chip at a time (a program of millions of instructions then never
// holds its whole encoding, whose size would start a full collection of the Program's object graph).
import {
  ELEM_BYTES,
  type ElemType,
  type Instruction,
  type Placed,
  type Program,
  type StreamRef,
  type UnitKind,
} from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { memSlices } from "../../arch/machine.ts";
import { QUEUE_KIND_ORDER, queuePosition } from "../../arch/presets.ts";
import { Code, type Columns, encode, Interner } from "./code.ts";
import type { Hazard, InstRecord } from "./hazards.ts";
import type { HazardName } from "./messages.ts";
import { FLOAT_ONLY_UNARY } from "./vxm-ops.ts";

const MXM_IN: ReadonlySet<ElemType> = new Set(["int8", "uint8", "fp8", "fp16", "bf16"]);

export interface PreparedQueue {
  /** Number of the queue across all chips (its index in Prepared.queues; code.queue holds it). */
  readonly serial: number;
  readonly chip: number;
  readonly name: string;
  readonly kind: UnitKind;
  readonly index: number;
  readonly order: number;
  readonly position: number;
  /** Its instructions are ids base .. base + source.length - 1. */
  readonly base: number;
  readonly source: readonly Placed[];
}

export interface PreparedChip {
  readonly chip: number;
  readonly queues: PreparedQueue[];
  readonly source: Program["chips"][number];
}

export interface Prepared {
  readonly chips: PreparedChip[];
  /** "chip:link" -> the other end. */
  readonly wires: Map<string, { readonly chip: number; readonly link: number }>;
  readonly faults: Hazard[];
  readonly instructionCount: number;
  /** Every queue that runs, in id order (code.queue indexes it). */
  readonly queues: PreparedQueue[];
  readonly tokens: Interner;
  readonly maps: Interner;
  /** The record of an instruction id (one object per id). */
  readonly record: (id: number) => InstRecord;
}

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
    case "deskew":
    case "iw":
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

/** The unit kind each non-ICU op runs on. */
const UNIT_OF: ReadonlyMap<string, string> = new Map(
  Object.entries({
    read: "mem",
    write: "mem",
    gather: "mem",
    scatter: "mem",
    vunary: "vxm",
    vbinary: "vxm",
    convert: "vxm",
    vaccum: "vxm",
    lw: "mxm",
    iw: "mxm",
    abc: "mxm",
    acc: "mxm",
    sxm: "sxm",
    send: "c2c",
    recv: "c2c",
  }),
);

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

/** The queue (index in `queues`, which are in id order) that holds instruction `id`. */
export function queueOfId(queues: readonly PreparedQueue[], id: number): number {
  let lo = 0;
  let hi = queues.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (queues[mid]!.base <= id) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Encodes the instructions of `queues` (each a run of consecutive ids) into `code`, instruction id `id` at row
 * `id - first`. The whole program (first 0) for the exact engine; one chip's ids for the fast path. Returns whether
 * every number the fast path reads fits a 32-bit integer.
 */
export function encodeQueues(
  code: Columns,
  first: number,
  queues: readonly PreparedQueue[],
  m: Machine,
  tokens: Interner,
  maps: Interner,
): boolean {
  let fits = true;
  for (const q of queues) {
    const list = q.source;
    const row0 = q.base - first;
    for (let k = 0; k < list.length; k++) {
      const placed = list[k]!;
      if (!encode(code, row0 + k, q.serial, placed.cycle, placed.inst, m, tokens, maps)) fits = false;
    }
  }
  return fits;
}

/** The whole program encoded (rows are instruction ids). */
export function encodeProgram(p: Prepared, m: Machine): Code {
  const code = new Code(p.instructionCount);
  encodeQueues(code, 0, p.queues, m, p.tokens, p.maps);
  return code;
}

function queueOrder(kind: string, index: number): number {
  return QUEUE_KIND_ORDER.indexOf(kind as never) * 1_000_000 + index;
}

export function prepare(program: Program, m: Machine): Prepared {
  const faults: Hazard[] = [];
  const chips: PreparedChip[] = [];
  const seenChips = new Set<number>();
  let id = 0;
  const tokens = new Interner();
  const maps = new Interner();
  const allQueues: PreparedQueue[] = [];
  const records = new Map<number, InstRecord>();
  /** The record of an instruction id: built once, so that records compare by identity. */
  const record = (instId: number): InstRecord => {
    let r = records.get(instId);
    if (!r) {
      const q = allQueues[queueOfId(allQueues, instId)]!;
      const k = instId - q.base;
      r = { id: instId, chip: q.chip, queue: q.name, queueOrder: q.order, k, placed: q.source[k]! };
      records.set(instId, r);
    }
    return r;
  };

  /** The instruction being checked and its chip, for `report` (one closure for the pass, not one per instruction). */
  let current = 0;
  let currentChip = 0;
  const report = (f: Fault | undefined): void => {
    if (f)
      faults.push({
        name: f.name,
        chip: currentChip,
        inst: record(current),
        args: [f.text],
      });
  };
  const wires = new Map<string, { chip: number; link: number }>();
  const chipIds = new Set(program.chips.map((c) => c.chip));
  for (const w of program.wires) {
    for (const [chip, link] of [
      [w.a, w.link],
      [w.b, w.peerLink],
    ] as const) {
      const where = `.wire ${w.a}:c2c${w.link} ${w.b}:c2c${w.peerLink}`;
      if (!chipIds.has(chip))
        faults.push({ name: "bad-instruction", chip, where, args: [`chip ${chip} is not in the program`] });
      else if (!Number.isInteger(link) || link < 0 || link >= m.c2c.links)
        faults.push({
          name: "address-range",
          chip,
          where,
          args: [`link ${link} is outside 0..${m.c2c.links - 1}`],
        });
      else if (wires.has(`${chip}:${link}`))
        faults.push({
          name: "bad-instruction",
          chip,
          where,
          args: [`link ${link} of chip ${chip} is wired twice`],
        });
    }
    wires.set(`${w.a}:${w.link}`, { chip: w.b, link: w.peerLink });
    wires.set(`${w.b}:${w.peerLink}`, { chip: w.a, link: w.link });
  }
  const slices = memSlices(m);
  for (const c of [...program.chips].sort((a, b) => a.chip - b.chip)) {
    if (seenChips.has(c.chip)) {
      faults.push({
        name: "bad-instruction",
        chip: c.chip,
        where: ".chip",
        args: [`chip ${c.chip} is listed twice`],
      });
      continue;
    }
    seenChips.add(c.chip);
    for (const d of c.data) {
      const where = `.data${d.label ? ` '${d.label}'` : ""} slice ${d.slice}`;
      if (!Number.isInteger(d.slice) || d.slice < 0 || d.slice >= slices)
        faults.push({
          name: "address-range",
          chip: c.chip,
          where,
          args: [`slice ${d.slice} is outside mem0..mem${slices - 1}`],
        });
      else if (
        !Number.isInteger(d.addr) ||
        d.addr < 0 ||
        d.addr * m.lanes + d.bytes.length > m.mem.wordsPerSlice * m.lanes
      )
        faults.push({
          name: "sram-capacity",
          chip: c.chip,
          where,
          args: [
            `${d.bytes.length} bytes at word ${d.addr} do not fit in the slice's ${m.mem.wordsPerSlice} words of ${m.lanes} bytes`,
          ],
        });
    }
    for (const o of c.outputs) {
      const where = `.output '${o.name}'`;
      if (o.slices.length !== ELEM_BYTES[o.type])
        faults.push({
          name: "bad-instruction",
          chip: c.chip,
          where,
          args: [`${o.type} needs ${ELEM_BYTES[o.type]} slices (one per byte plane), got ${o.slices.length}`],
        });
      for (const s of o.slices)
        if (!Number.isInteger(s) || s < 0 || s >= slices)
          faults.push({
            name: "address-range",
            chip: c.chip,
            where,
            args: [`slice ${s} is outside mem0..mem${slices - 1}`],
          });
      if (!Number.isInteger(o.addr) || o.addr < 0 || o.addr + o.words > m.mem.wordsPerSlice)
        faults.push({
          name: "sram-capacity",
          chip: c.chip,
          where,
          args: [
            `words ${o.addr}..${o.addr + o.words - 1} are beyond the slice's ${m.mem.wordsPerSlice} words`,
          ],
        });
    }
    const queues: PreparedQueue[] = [];
    const seenQueues = new Set<string>();
    for (const qp of c.queues) {
      const name = `${qp.queue.kind}${qp.queue.index}`;
      const position = queuePosition(m, qp.queue);
      const first = qp.instructions[0];
      if (position === undefined || seenQueues.has(name)) {
        const text =
          position === undefined ? `the machine has no queue ${name}` : `queue ${name} is listed twice`;
        const rec: InstRecord | undefined = first
          ? {
              id: -1,
              chip: c.chip,
              queue: name,
              queueOrder: queueOrder(qp.queue.kind, qp.queue.index),
              k: 0,
              placed: first,
            }
          : undefined;
        faults.push({
          name: "bad-instruction",
          chip: c.chip,
          inst: rec,
          where: first ? undefined : name,
          args: [text],
        });
        continue;
      }
      seenQueues.add(name);
      const order = queueOrder(qp.queue.kind, qp.queue.index);
      const serial = allQueues.length;
      const pq: PreparedQueue = {
        serial,
        chip: c.chip,
        name,
        kind: qp.queue.kind,
        index: qp.queue.index,
        order,
        position,
        base: id,
        source: qp.instructions,
      };
      allQueues.push(pq);
      const wired = wires.has(`${c.chip}:${qp.queue.index}`);
      const list = qp.instructions;
      for (let k = 0; k < list.length; k++) {
        const placed = list[k]!;
        const instId = id++;
        const cycle = placed.cycle;
        if (cycle !== undefined && (!Number.isInteger(cycle) || cycle < 0))
          faults.push({
            name: "bad-instruction",
            chip: c.chip,
            inst: record(instId),
            args: [`issue cycle must be a whole number >= 0, got ${cycle}`],
          });
        const inst = placed.inst;
        const op = inst.op;
        const wants = UNIT_OF.get(op);
        if (wants !== undefined && wants !== qp.queue.kind) {
          faults.push({
            name: "bad-instruction",
            chip: c.chip,
            inst: record(instId),
            args: [`'${op}' runs on a ${wants} queue, not ${name}`],
          });
          continue;
        }
        if ((op === "send" || op === "recv") && !wired)
          faults.push({ name: "unwired-link", chip: c.chip, inst: record(instId), args: [qp.queue.index] });
        current = instId;
        currentChip = c.chip;
        staticFaults(m, program, inst, report);
      }
      queues.push(pq);
    }
    queues.sort((a, b) => a.order - b.order);
    chips.push({ chip: c.chip, queues, source: c });
  }
  return {
    chips,
    wires,
    faults,
    instructionCount: id,
    queues: allQueues,
    tokens,
    maps,
    record,
  };
}
