// The shape of one task in space and time, before it is placed: which unit instance runs each step (one per byte
// plane for MEM reads and writes), where it sits, its issue cycle relative to the task's start, and the streams
// flows between instances. Fixed latencies plus stream hops make every relative cycle exact.
// Contract: relative cycles are >= 0 and the smallest is 0; each flow delivers vector 0 to its consumer exactly in
// the cycle the consumer takes it (streams do not hold values).
import { ELEM_BYTES, type ElemType, type UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever, invariant } from "../../util/assert.ts";
import type { Placement, Step, Task } from "../passes/task-ir.ts";
import { blockOf, stepOperands, wideLoadAt } from "../passes/task-ir.ts";
import { flowDirection, type Proto, proto0, solveRel } from "./geometry-rel.ts";
import { type StepTiming, stepTiming } from "./timing.ts";

export interface Instance {
  readonly step: number;
  /** Byte plane for MEM steps, 0 otherwise. */
  readonly byte: number;
  readonly unit: UnitKind;
  /** Fixed unit index (MEM slice, MXM plane); undefined for a VXM step (any ALU will do). */
  readonly index?: number;
  readonly pos: number;
  readonly timing: StepTiming;
  /** Issue cycle relative to the task's start. */
  readonly rel: number;
  /** For a MEM read feeding a consumer that takes a vector every `spacing` cycles: one instruction per vector. */
  readonly spacing: number;
  /** SRAM word of the first vector and the address step (MEM steps only). */
  readonly addr: number;
  readonly stride: number;
}

export interface Flow {
  readonly from: number;
  readonly to: number;
  /** Stream offset within the group (the byte plane). */
  readonly byte: number;
}

/** All flows of one operand: a group of ELEM_BYTES[type] consecutive streams flowing one way. */
export interface FlowGroup {
  readonly type: ElemType;
  readonly flows: readonly Flow[];
  /** Undefined when producer and consumer sit at one position (either direction works). */
  readonly dir?: "e" | "w";
  /** Vectors and spacing of the run. */
  readonly n: number;
  readonly spacing: number;
  /** Which operands of the consumer step it feeds (0 = a/src, 1 = b; both for `x * x`). */
  readonly operands: readonly number[];
  /** Streams of the group: bytes(type), or more for a wide weight read. A gather's map group feeds every byte
   * plane's slice, so it has a flow per byte per consumer and fewer streams than flows. */
  readonly streams: number;
  /** Whether it feeds an MXM weight load (the `lw`, or the convert of 8-bit weights before it): trial.ts takes a
   * load's stream ids from the bottom, every other flow's from the top. */
  readonly load: boolean;
}

export interface Geometry {
  readonly instances: readonly Instance[];
  readonly groups: readonly FlowGroup[];
}

export function outputType(s: Step): ElemType | undefined {
  switch (s.kind) {
    case "read":
    case "gather":
      return s.type;
    case "vunary":
    case "vbinary":
      return s.type;
    case "convert":
      return s.to;
    case "acc":
    case "recv":
      return s.type;
    case "write":
    case "lw":
    case "iw":
    case "abc":
    case "send":
      return undefined;
    default:
      return assertNever(s, "step");
  }
}

export function vxmPosition(m: Machine): number {
  return m.sliceOrder.indexOf("vxm");
}

/** slicePosition scans the slice order; the scheduler asks for every MEM and MXM instance, so keep a table per
 * machine: the positions of MEM slices and MXM planes by index. */
const positionTables = new WeakMap<Machine, { mem: number[]; mxm: number[]; vxm: number }>();
function position(m: Machine, kind: "mem" | "mxm" | "vxm", index: number): number {
  let table = positionTables.get(m);
  if (!table) {
    table = { mem: [], mxm: [], vxm: vxmPosition(m) };
    for (let p = 0; p < m.sliceOrder.length; p++) {
      const k = m.sliceOrder[p];
      if (k === "mem") table.mem.push(p);
      else if (k === "mxm") table.mxm.push(p);
    }
    positionTables.set(m, table);
  }
  if (kind === "vxm") return table.vxm;
  const p = table[kind][index];
  // Hot invariants test first and build their message only on failure (a template argument is built per call).
  if (p === undefined) invariant(false, `no ${kind} slice ${index}`);
  return p;
}

/** Scratch for taskGeometry (one task at a time): each step's first instance, and its timing. */
let firstScratch = new Int32Array(64);
const timingScratch: StepTiming[] = [];

export function taskGeometry(
  m: Machine,
  task: Task,
  placements: ReadonlyMap<string, Placement>,
  mxmPlane: number | undefined,
): Geometry {
  // Built with plain loops and one object literal per instance: the scheduler asks for a geometry per task and
  // candidate plane (hundreds of thousands on a large model), so spreads and closures here show in profiles.
  const proto: Proto[] = [];
  const steps = task.steps;
  if (firstScratch.length < steps.length + 1) firstScratch = new Int32Array(2 * (steps.length + 1));
  const firstInstance = firstScratch;
  const timings = timingScratch;
  for (let si = 0; si < steps.length; si++) {
    const s = steps[si]!;
    firstInstance[si] = proto.length;
    const timing = stepTiming(m, s);
    timings[si] = timing;
    if (s.kind === "read" || s.kind === "write" || s.kind === "gather") {
      const p = placements.get(s.ref.tensor);
      if (!p) invariant(false, `no placement for ${s.ref.tensor}`);
      const tp = blockOf(p, s.ref.tile, s.ref.row);
      const width = tp.width ?? 1;
      if (s.kind === "gather" && width !== 1)
        invariant(false, `${task.id}: a gathered table is not a wide block`);
      if (width === 1) {
        const addr = tp.addr + s.ref.row - tp.row0;
        for (let byte = 0; byte < tp.slices.length; byte++) {
          const slice = tp.slices[byte]!;
          proto.push(proto0(si, byte, "mem", slice, position(m, "mem", slice), timing, addr, s.ref.stride));
        }
      } else {
        // A wide weight block (allocate.ts): group j holds rows j, j + width, ...; one instance per group and byte
        // plane, each reading its own rows, all reaching the `lw` in the same cycles (stream k = j * bytes + b).
        const off = s.ref.row - tp.row0;
        if (!(s.kind === "read" && s.ref.stride === 1 && off % width === 0 && wideLoadAt(steps, si)))
          invariant(
            false,
            `${task.id}: a wide block is read only whole rows into an lw (straight or through a convert)`,
          );
        const bytes = ELEM_BYTES[s.type];
        const groups = Math.min(width, s.ref.n);
        for (let j = 0; j < groups; j++) {
          const n = Math.ceil((s.ref.n - j) / width);
          const t: StepTiming = {
            busy: n,
            resource: timing.resource,
            inOffset: timing.inOffset,
            inSpacing: timing.inSpacing,
            outOffset: timing.outOffset,
            n,
          };
          for (let byte = 0; byte < bytes; byte++) {
            const slice = tp.slices[j * bytes + byte]!;
            const pos = position(m, "mem", slice);
            proto.push(proto0(si, j * bytes + byte, "mem", slice, pos, t, tp.addr + off / width, 1));
          }
        }
      }
    } else if (s.kind === "convert" && wideGroups(steps, s.src, placements) > 1) {
      // The convert of a wide 8-bit weight read: one VXM instance per stream group (each on its own ALU), group
      // j's rows in and out, so the converted rows reach the `lw` `width` a cycle as a wide fp16 read would.
      const read = steps[s.src]! as Extract<Step, { kind: "read" }>;
      const width = blockOf(placements.get(read.ref.tensor)!, read.ref.tile, read.ref.row).width!;
      const groups = wideGroups(steps, s.src, placements);
      for (let j = 0; j < groups; j++) {
        const n = Math.ceil((read.ref.n - j) / width);
        const t: StepTiming = { ...timing, busy: n, n };
        proto.push(proto0(si, j, "vxm", undefined, position(m, "vxm", 0), t, 0, 0));
      }
    } else if (s.kind === "lw" || s.kind === "iw" || s.kind === "abc" || s.kind === "acc") {
      if (mxmPlane === undefined) invariant(false, `MXM step of ${task.id} without a plane`);
      proto.push(proto0(si, 0, "mxm", mxmPlane, position(m, "mxm", mxmPlane), timing, 0, 0));
    } else if (s.kind === "send" || s.kind === "recv") {
      const pos = m.c2c.attach[s.link];
      if (pos === undefined) invariant(false, `link ${s.link} does not exist`);
      proto.push(proto0(si, 0, "c2c", s.link, pos, timing, 0, 0));
    } else {
      proto.push(proto0(si, 0, "vxm", undefined, position(m, "vxm", 0), timing, 0, 0));
    }
  }
  firstInstance[steps.length] = proto.length;

  // Flow groups: one per (consumer step, operand).
  const groups: FlowGroup[] = [];
  for (let ci = 0; ci < steps.length; ci++) {
    const s = steps[ci]!;
    const ops = stepOperands(s);
    for (let operand = 0; operand < ops.length; operand++) {
      const pi = ops[operand]!;
      if (ops.indexOf(pi) !== operand) continue; // one stream group feeds every operand that reads this value
      const type = outputType(steps[pi]!)!;
      const cTiming = timings[ci]!;
      const flows: Flow[] = [];
      // (Counts inline, not a closure per call: under tsx a named closure costs a `__name` call as it is made.)
      const pn = firstInstance[pi + 1]! - firstInstance[pi]!;
      const cn = firstInstance[ci + 1]! - firstInstance[ci]!;
      const eb = ELEM_BYTES[type];
      let bytes = Math.max(eb, pn, cn);
      if (s.kind === "gather") {
        // The map: every byte plane's slice takes the whole int32 group as it passes. From one VXM step, so
        // each slice's cycle follows from its own distance (from several MEM slices the distances could clash).
        if (pn !== 1) invariant(false, `${task.id}: a gather's map comes from a VXM step`);
        for (let k = 0; k < cn; k++)
          for (let b = 0; b < eb; b++)
            flows.push({ from: firstInstance[pi]!, to: firstInstance[ci]! + k, byte: b });
      } else if (pn > 1 && steps[pi]!.kind === "convert") {
        // A wide convert's groups into the lw: group j's byte planes are streams j * bytes ...
        if (cn !== 1) invariant(false, `${task.id}: a wide convert feeds one lw`);
        bytes = pn * eb;
        for (let b = 0; b < bytes; b++)
          flows.push({ from: firstInstance[pi]! + Math.floor(b / eb), to: firstInstance[ci]!, byte: b });
      } else {
        // MEM to MEM only plane by plane (a gather's word straight to a write): each pair has its own distance. A
        // wide 8-bit read into its convert pairs group j with convert instance j (one byte plane each).
        if (
          !(
            pn === 1 ||
            cn === 1 ||
            (pn === cn && (steps[pi]!.kind === "gather" || steps[ci]!.kind === "convert"))
          )
        )
          invariant(false, `${task.id}: a MEM step feeding a MEM step is not supported`);
        // One flow per byte plane, or per stream group and byte plane of a wide weight read.
        for (let b = 0; b < bytes; b++)
          flows.push({
            from: firstInstance[pi]! + (pn === 1 ? 0 : b),
            to: firstInstance[ci]! + (cn === 1 ? 0 : b),
            byte: b,
          });
      }
      const streams = s.kind === "gather" ? eb : bytes;
      if (cTiming.inSpacing > 1) {
        if (steps[pi]!.kind !== "read")
          invariant(false, `${task.id}: only a MEM read can feed a spaced consumer`);
        for (let k = 0; k < pn; k++) proto[firstInstance[pi]! + k]!.spacing = cTiming.inSpacing;
      }
      const operands: number[] = [];
      for (let k = 0; k < ops.length; k++) if (ops[k] === pi) operands.push(k);
      const dir = flowDirection(task, proto, flows);
      // The run on the streams is the consumer's: a wide 8-bit read's convert instances take ceil(rows / width)
      // rows each, not the step's rows (reserving the step's held each of the read's streams three times as long).
      let n = cTiming.n;
      if (cn > 1 && s.kind === "convert") {
        n = 0;
        for (let k = 0; k < cn; k++) n = Math.max(n, proto[firstInstance[ci]! + k]!.timing.n);
      }
      const spacing = cTiming.inSpacing;
      const load = s.kind === "lw" || (s.kind === "convert" && steps[ci + 1]?.kind === "lw");
      groups.push(
        dir === "e" || dir === "w"
          ? { type, flows, n, spacing, operands, streams, load, dir }
          : { type, flows, n, spacing, operands, streams, load },
      );
    }
  }

  solveRel(task, proto, groups);
  // The instances are the protos, finished in place (one object per instance).
  timings.length = 0;
  const instances: readonly Instance[] = proto;
  return { instances, groups };
}

/**
 * The task's geometry on another MXM plane, from its geometry on one plane (`geo`, what taskGeometry gave): the same
 * instances, flows and operand groups with the MXM instances moved to the plane's position, the relative cycles
 * walked again, and each group's direction taken again from the positions. Equal, field for field, to
 * `taskGeometry(m, task, placements, plane)` (test/compiler/schedule/geometry.test.ts), for less: the relaxed runs
 * try every MXM task on every plane, and solving each plane from the steps was their largest cost.
 */
export function onPlane(m: Machine, task: Task, geo: Geometry, plane: number): Geometry {
  const pos = position(m, "mxm", plane);
  const proto: Proto[] = [];
  for (const i of geo.instances)
    proto.push({
      step: i.step,
      byte: i.byte,
      unit: i.unit,
      index: i.unit === "mxm" ? plane : i.index,
      pos: i.unit === "mxm" ? pos : i.pos,
      timing: i.timing,
      rel: 0,
      spacing: i.spacing,
      addr: i.addr,
      stride: i.stride,
    });
  const groups: FlowGroup[] = [];
  for (const g of geo.groups) {
    const dir = flowDirection(task, proto, g.flows);
    if (dir === g.dir || (dir === "-" && g.dir === undefined)) groups.push(g);
    else {
      const { type, flows, n, spacing, operands, streams, load } = g;
      groups.push(
        dir === "e" || dir === "w"
          ? { type, flows, n, spacing, operands, streams, load, dir }
          : { type, flows, n, spacing, operands, streams, load },
      );
    }
  }
  solveRel(task, proto, groups);
  const instances: readonly Instance[] = proto;
  return { instances, groups };
}

/** The stream groups of the wide read at step `si` (1 when the step is not a wide read). */
function wideGroups(steps: readonly Step[], si: number, placements: ReadonlyMap<string, Placement>): number {
  const s = steps[si];
  if (s?.kind !== "read") return 1;
  const p = placements.get(s.ref.tensor);
  if (!p) return 1;
  const width = blockOf(p, s.ref.tile, s.ref.row).width ?? 1;
  return Math.min(width, s.ref.n);
}
