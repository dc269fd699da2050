// The shape of one task in space and time, before it is placed: which unit instance runs each step (one per byte
// plane for MEM reads and writes), where it sits, its issue cycle relative to the task's start, and the streams
// flows between instances. Fixed latencies plus stream hops make every relative cycle exact.
// Contract: relative cycles are >= 0 and the smallest is 0; each flow delivers vector 0 to its consumer exactly in
// the cycle the consumer takes it (streams do not hold values).
import { ELEM_BYTES, type ElemType, type UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { slicePosition } from "../../arch/machine.ts";
import { assertNever, invariant } from "../../util/assert.ts";
import type { Placement, Step, Task } from "../passes/task-ir.ts";
import { blockOf, stepOperands } from "../passes/task-ir.ts";
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
}

export interface Geometry {
  readonly instances: readonly Instance[];
  readonly groups: readonly FlowGroup[];
}

export function outputType(s: Step): ElemType | undefined {
  switch (s.kind) {
    case "read":
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

/** slicePosition scans the slice order; the scheduler asks for every MEM and MXM instance, so keep a table. */
const positionTables = new WeakMap<Machine, Map<string, number>>();
function position(m: Machine, kind: "mem" | "mxm" | "vxm", index: number): number {
  let table = positionTables.get(m);
  if (!table) {
    table = new Map();
    positionTables.set(m, table);
  }
  const key = `${kind}${index}`;
  let p = table.get(key);
  if (p === undefined) {
    p = kind === "vxm" ? vxmPosition(m) : slicePosition(m, kind, index)!;
    table.set(key, p);
  }
  return p;
}

export function taskGeometry(
  m: Machine,
  task: Task,
  placements: ReadonlyMap<string, Placement>,
  mxmPlane: number | undefined,
): Geometry {
  const proto: Omit<Instance, "rel" | "spacing">[] = [];
  const firstInstance: number[] = [];
  task.steps.forEach((s, si) => {
    firstInstance.push(proto.length);
    const timing = stepTiming(m, s);
    if (s.kind === "read" || s.kind === "write") {
      const p = placements.get(s.ref.tensor);
      invariant(p, `no placement for ${s.ref.tensor}`);
      const tp = blockOf(p, s.ref.tile, s.ref.row);
      const width = tp.width ?? 1;
      if (width === 1)
        tp.slices.forEach((slice, byte) => {
          proto.push({
            step: si,
            byte,
            unit: "mem",
            index: slice,
            pos: position(m, "mem", slice),
            timing,
            addr: tp.addr + s.ref.row - tp.row0,
            stride: s.ref.stride,
          });
        });
      else {
        // A wide weight block (allocate.ts): group j holds rows j, j + width, ...; one instance per group and byte
        // plane, each reading its own rows, all reaching the `lw` in the same cycles (stream k = j * bytes + b).
        const off = s.ref.row - tp.row0;
        const next = task.steps[si + 1];
        invariant(
          s.kind === "read" &&
            s.ref.stride === 1 &&
            off % width === 0 &&
            next?.kind === "lw" &&
            next.src === si,
          `${task.id}: a wide block is read only whole rows straight into an lw`,
        );
        const bytes = ELEM_BYTES[s.type];
        const groups = Math.min(width, s.ref.n);
        for (let j = 0; j < groups; j++) {
          const n = Math.ceil((s.ref.n - j) / width);
          for (let byte = 0; byte < bytes; byte++) {
            const slice = tp.slices[j * bytes + byte]!;
            proto.push({
              step: si,
              byte: j * bytes + byte,
              unit: "mem",
              index: slice,
              pos: position(m, "mem", slice),
              timing: { ...timing, busy: n, n },
              addr: tp.addr + off / width,
              stride: 1,
            });
          }
        }
      }
    } else if (s.kind === "lw" || s.kind === "iw" || s.kind === "abc" || s.kind === "acc") {
      invariant(mxmPlane !== undefined, `MXM step of ${task.id} without a plane`);
      const pos = position(m, "mxm", mxmPlane);
      proto.push({ step: si, byte: 0, unit: "mxm", index: mxmPlane, pos, timing, addr: 0, stride: 0 });
    } else if (s.kind === "send" || s.kind === "recv") {
      const pos = m.c2c.attach[s.link];
      invariant(pos !== undefined, `link ${s.link} does not exist`);
      proto.push({ step: si, byte: 0, unit: "c2c", index: s.link, pos, timing, addr: 0, stride: 0 });
    } else {
      proto.push({ step: si, byte: 0, unit: "vxm", pos: position(m, "vxm", 0), timing, addr: 0, stride: 0 });
    }
  });
  const countOf = (si: number) =>
    (si + 1 < firstInstance.length ? firstInstance[si + 1]! : proto.length) - firstInstance[si]!;

  // Flow groups: one per (consumer step, operand).
  const groups: (Omit<FlowGroup, "dir"> & { consumer: number })[] = [];
  const spacingOf = new Array<number>(proto.length).fill(1);
  task.steps.forEach((s, ci) => {
    const ops = stepOperands(s);
    ops.forEach((pi, operand) => {
      if (ops.indexOf(pi) !== operand) return; // one stream group feeds every operand that reads this value
      const type = outputType(task.steps[pi]!)!;
      const cTiming = stepTiming(m, s);
      const flows: Flow[] = [];
      const pn = countOf(pi);
      const cn = countOf(ci);
      invariant(pn === 1 || cn === 1, `${task.id}: a MEM step feeding a MEM step is not supported`);
      // One flow per byte plane, or per stream group and byte plane of a wide weight read.
      const bytes = Math.max(ELEM_BYTES[type], pn, cn);
      for (let b = 0; b < bytes; b++)
        flows.push({
          from: firstInstance[pi]! + (pn === 1 ? 0 : b),
          to: firstInstance[ci]! + (cn === 1 ? 0 : b),
          byte: b,
        });
      if (cTiming.inSpacing > 1) {
        invariant(task.steps[pi]!.kind === "read", `${task.id}: only a MEM read can feed a spaced consumer`);
        for (let k = 0; k < pn; k++) spacingOf[firstInstance[pi]! + k] = cTiming.inSpacing;
      }
      const operands = ops.flatMap((x, k) => (x === pi ? [k] : []));
      groups.push({ type, flows, n: cTiming.n, spacing: cTiming.inSpacing, operands, consumer: ci });
    });
  });

  // Relative cycles: walk the flows from the root outwards.
  const rel = new Array<number | undefined>(proto.length).fill(undefined);
  rel[proto.length - 1] = 0;
  const all = groups.flatMap((g) => g.flows);
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of all) {
      const p = proto[f.from]!;
      const c = proto[f.to]!;
      const hops = Math.abs(c.pos - p.pos);
      // consumer takes vector 0 at rel_c + inOffset_c; producer puts it out at rel_p + outOffset_p, hops earlier.
      if (rel[f.to] !== undefined && rel[f.from] === undefined) {
        rel[f.from] = rel[f.to]! + c.timing.inOffset - hops - p.timing.outOffset;
        changed = true;
      } else if (rel[f.from] !== undefined && rel[f.to] === undefined) {
        rel[f.to] = rel[f.from]! + p.timing.outOffset + hops - c.timing.inOffset;
        changed = true;
      }
    }
  }
  invariant(
    rel.every((r) => r !== undefined),
    `${task.id}: steps not joined by streams`,
  );
  const min = Math.min(...(rel as number[]));
  const instances = proto.map((p, i) => ({ ...p, rel: rel[i]! - min, spacing: spacingOf[i]! }));
  const withDir: FlowGroup[] = groups.map(({ consumer: _c, ...g }) => {
    const dirs = new Set(
      g.flows.map((f) => {
        const d = instances[f.to]!.pos - instances[f.from]!.pos;
        return d > 0 ? "e" : d < 0 ? "w" : "-";
      }),
    );
    invariant(dirs.size === 1, `${task.id}: the byte planes of one operand flow in different directions`);
    const d = [...dirs][0]!;
    return d === "-" ? g : { ...g, dir: d as "e" | "w" };
  });
  return { instances, groups: withDir };
}
