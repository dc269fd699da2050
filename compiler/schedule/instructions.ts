// A placed task -> ISA instructions: each unit instance becomes one instruction (a MEM read feeding a unit that
// takes one vector every k cycles becomes one single-vector read per vector), with the streams the scheduler chose.
import type { Instruction, QueueRef, StreamRef } from "../../arch/isa.ts";
import { assertNever, invariant } from "../../util/assert.ts";
import type { Task } from "../passes/task-ir.ts";
import type { Geometry } from "./geometry.ts";
import type { InstSink } from "./inst-sink.ts";
import type { Resource } from "./schedule-ir.ts";
import type { Choice } from "./trial.ts";

// Queue and stream references are read-only data: one shared object per value, not one per instruction.
const queueRefs: Record<QueueRef["kind"], QueueRef[]> = { mem: [], vxm: [], mxm: [], sxm: [], c2c: [] };
function queueRef(kind: QueueRef["kind"], index: number): QueueRef {
  const byIndex = queueRefs[kind];
  let q = byIndex[index];
  if (!q) {
    q = { kind, index };
    byIndex[index] = q;
  }
  return q;
}
const streamRefs: StreamRef[][] = [[], []];
/** The shared reference to stream `id` flowing `dir` (read-only: one object per value). */
export function streamRef(id: number, dir: StreamRef["dir"]): StreamRef {
  const byId = streamRefs[dir === "e" ? 0 : 1]!;
  let r = byId[id];
  if (!r) {
    r = { id, dir };
    byId[id] = r;
  }
  return r;
}

/** Where the instance being built puts its instructions (module state, set per instance: not an object per
 * instance, nor closures made per task or instance: under tsx each named closure costs a `__name` call as it is
 * made, which showed in profiles). */
let toSink: InstSink | undefined;
let toTask = 0;
let toQueue = 0;
let toResource: Resource = "queue";

function emit(inst: Instruction, cycle: number, busy: number): void {
  toSink!.add(toQueue, inst, cycle, busy, toResource, toTask);
}

/** Per instance of the task being built (scratch, grown, never shrunk): the first group carrying operand 0 and 1
 * into it, the first group taking its result and that flow's byte, the first group into it and that flow's byte
 * (-1: none). One pass over the flows per task, instead of a search with closures per instance and operand. */
let inOp = new Int32Array(64);
let outGroup = new Int32Array(32);
let outByte = new Int32Array(32);
let inGroup = new Int32Array(32);
let inByte = new Int32Array(32);

function indexFlows(geo: Geometry): void {
  const count = geo.instances.length;
  if (outGroup.length < count) {
    const size = Math.max(count, 2 * outGroup.length);
    inOp = new Int32Array(2 * size);
    outGroup = new Int32Array(size);
    outByte = new Int32Array(size);
    inGroup = new Int32Array(size);
    inByte = new Int32Array(size);
  }
  inOp.fill(-1, 0, 2 * count);
  outGroup.fill(-1, 0, count);
  inGroup.fill(-1, 0, count);
  const groups = geo.groups;
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    for (const f of g.flows) {
      if (outGroup[f.from] === -1) {
        outGroup[f.from] = gi;
        outByte[f.from] = f.byte;
      }
      if (inGroup[f.to] === -1) {
        inGroup[f.to] = gi;
        inByte[f.to] = f.byte;
      }
      for (const k of g.operands)
        if (k < 2 && inOp[2 * f.to + k] === -1) inOp[2 * f.to + k] = gi;
        else if (k >= 2) invariant(false, "a step has at most two stream operands");
    }
  }
}

/** The stream group carrying operand k into instance i of the task. */
function inputOf(task: Task, choice: Choice, i: number, operand: number): StreamRef {
  const gi = inOp[2 * i + operand]!;
  if (gi < 0) invariant(false, `${task.id}: instance ${i} has no operand ${operand}`);
  const r = choice.streams[gi]!;
  return streamRef(r.id, r.dir);
}

/** The stream group carrying instance i's result, and its byte plane. */
function outputOf(task: Task, choice: Choice, i: number): StreamRef {
  const gi = outGroup[i]!;
  if (gi < 0) invariant(false, `${task.id}: instance ${i} feeds nothing`);
  const r = choice.streams[gi]!;
  return streamRef(r.id, r.dir);
}

/** The stream instance i's result goes on: its group's base stream plus its byte plane. */
function outputStream(task: Task, choice: Choice, i: number): StreamRef {
  const r = outputOf(task, choice, i);
  return streamRef(r.id + outByte[i]!, r.dir);
}

/** The stream instance i takes its (only) input from: the first group into it, plus that flow's byte plane. */
function inputStream(task: Task, choice: Choice, i: number): StreamRef {
  const src = inputOf(task, choice, i, 0);
  if (inGroup[i]! < 0) invariant(false, `${task.id}: instance ${i} takes nothing`);
  return streamRef(src.id + inByte[i]!, src.dir);
}

/** Adds the task (number `index` of the graph) to the schedule's queues (`out`: no array per task, no object kept
 * per instruction). */
export function buildInstructions(
  task: Task,
  index: number,
  geo: Geometry,
  chip: number,
  start: number,
  choice: Choice,
  out: InstSink,
  /** The first accumulator row of the task's MXM group (placement-acc.ts accRows): its abc and acc rows are offset. */
  accBase = 0,
): void {
  indexFlows(geo);
  toSink = out;
  toTask = index;
  const instances = geo.instances;
  for (let i = 0; i < instances.length; i++) {
    const inst = instances[i]!;
    const s = task.steps[inst.step]!;
    const cycle = start + inst.rel;
    toQueue = out.queue(
      chip,
      inst.unit === "vxm" ? queueRef("vxm", choice.alu[i]!) : queueRef(inst.unit, inst.index!),
    );
    toResource = inst.timing.resource;
    switch (s.kind) {
      case "read": {
        const stream = outputStream(task, choice, i);
        // inst.timing.n: one stream group of a wide weight read carries every width-th row only.
        const n = inst.timing.n;
        if (inst.spacing === 1)
          emit({ op: "read", addr: inst.addr, stream, n, stride: s.ref.stride }, cycle, n);
        else
          for (let k = 0; k < n; k++)
            emit(
              { op: "read", addr: inst.addr + k * s.ref.stride, stream, n: 1, stride: 1 },
              cycle + k * inst.spacing,
              1,
            );
        break;
      }
      case "gather": {
        // The table block's first word is the base; the map group is the VXM result every plane's slice takes.
        emit(
          {
            op: "gather",
            base: inst.addr,
            stream: outputStream(task, choice, i),
            map: inputOf(task, choice, i, 0),
            n: s.ref.n,
          },
          cycle,
          s.ref.n,
        );
        break;
      }
      case "write": {
        emit(
          {
            op: "write",
            addr: inst.addr,
            stream: inputStream(task, choice, i),
            n: s.ref.n,
            stride: 1,
          },
          cycle,
          s.ref.n,
        );
        break;
      }
      case "vunary":
        emit(
          {
            op: "vunary",
            fn: s.fn,
            type: s.type,
            dst: outputOf(task, choice, i),
            src: inputOf(task, choice, i, 0),
            n: s.n,
          },
          cycle,
          s.n,
        );
        break;
      case "vbinary": {
        const b = typeof s.b === "number" ? inputOf(task, choice, i, 1) : s.b.imm;
        emit(
          {
            op: "vbinary",
            fn: s.fn,
            type: s.type,
            dst: outputOf(task, choice, i),
            a: inputOf(task, choice, i, 0),
            b,
            n: s.n,
          },
          cycle,
          s.n,
        );
        break;
      }
      case "convert": {
        // Group j of a wide weight's convert (geometry.ts) takes stream j and puts streams j * bytes ..: the flows'
        // byte offsets; a plain convert has offset 0 on both sides. inst.timing.n: the group's rows.
        const n = inst.timing.n;
        emit(
          {
            op: "convert",
            from: s.from,
            to: s.to,
            dst: outputStream(task, choice, i),
            src: inputStream(task, choice, i),
            n,
          },
          cycle,
          n,
        );
        break;
      }
      case "lw":
        emit(
          {
            op: "lw",
            type: s.type,
            src: inputOf(task, choice, i, 0),
            n: s.n,
            row0: s.row0,
            ...((s.width ?? 1) > 1 ? { width: s.width } : {}),
          },
          cycle,
          inst.timing.busy,
        );
        break;
      case "iw":
        emit({ op: "iw" }, cycle, inst.timing.busy);
        break;
      case "abc":
        emit(
          {
            op: "abc",
            type: s.type,
            src: inputOf(task, choice, i, 0),
            n: s.n,
            row0: accBase + s.row0,
            accumulate: s.accumulate,
          },
          cycle,
          inst.timing.busy,
        );
        break;
      case "acc":
        emit(
          { op: "acc", type: s.type, dst: outputOf(task, choice, i), n: s.n, row0: accBase + s.row0 },
          cycle,
          inst.timing.busy,
        );
        break;
      case "send":
        emit({ op: "send", type: s.type, src: inputOf(task, choice, i, 0), n: s.n }, cycle, inst.timing.busy);
        break;
      case "recv":
        emit({ op: "recv", type: s.type, dst: outputOf(task, choice, i), n: s.n }, cycle, inst.timing.busy);
        break;
      default:
        assertNever(s, "step");
    }
  }
}
